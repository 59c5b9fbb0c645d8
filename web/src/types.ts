// Names for the API's JSON answers. The shapes come from openapi.ts, which
// openapi-typescript generates from internal/api/openapi.json (`npm run
// gen-types`; `make web-check` fails when it is stale), so the page and the
// document cannot drift apart. Money and ratios are decimal strings;
// undefined figures are null.
import type { components } from './openapi';

type Schemas = components['schemas'];

/** GET /v1/segments. */
export type Breakdown = Schemas['Breakdown'];
/** One value's figures in a breakdown. */
export type SegmentRow = Schemas['Segment'];
/** One period of a trend series. */
export type Point = Schemas['Point'];
/** GET /v1/trend. */
export type Trend = Schemas['Trend'];
/** GET /v1/kpis. */
export type KPIs = Schemas['KPIs'];
/** GET /v1/dimensions. */
export type DimensionList = Schemas['DimensionList'];
/** GET /v1/datasets. */
export type DatasetList = Schemas['DatasetList'];
/** GET /v1/uploads/{id} and GET /v1/uploads?key=. */
export type Upload = Schemas['Upload'];
/** GET /v1/uploads without key: one page of the upload history. */
export type UploadList = Schemas['UploadList'];
/** One upload in the history. */
export type UploadEntry = Schemas['UploadEntry'];
/** POST /v1/uploads: where and how to PUT the file. */
export type UploadTicket = Schemas['UploadTicket'];
/** The recompute snapshot an analytics answer comes from. */
export type Snapshot = Schemas['SnapshotRef'];
/** A group (tier, RFM group, quadrant) within one dimension value. */
export type GroupFigures = Schemas['GroupRow']['groups'][number];
/**
 * GET /v1/analytics/{tiers,rfm,quadrants}. The document gives Analytics
 * rows as bare objects and their shape per kind as a schema of its own.
 */
export type GroupAnalytics = Omit<Schemas['Analytics'], 'rows'> & { rows: Schemas['GroupRow'][] };
/** GET /v1/analytics/forecast, whose rows are ForecastRows. */
export type Forecast = Omit<Schemas['Analytics'], 'rows'> & { rows: Schemas['ForecastRow'][] };
/** Customers and revenue of one bridge movement. */
export type Movement = Schemas['Movement'];
/** One period of GET /v1/analytics/bridge. */
export type BridgeRow = Schemas['BridgeRow'];
/** GET /v1/analytics/bridge. */
export type Bridge = Schemas['Bridge'];
/** One customer of GET /v1/analytics/customers. */
export type Customer = Schemas['Customer'];
/** GET /v1/analytics/customers. */
export type CustomerList = Schemas['CustomerList'];
/** GET /v1/analytics/model. */
export type Model = Schemas['Model'];
/** GET /v1/forecast: monthly revenue and its forecast. */
export type RevenueForecast = Schemas['RevenueForecast'];
/** One forecast month with its intervals. */
export type ForecastMonth = Schemas['RevenueForecast']['points'][number];
/** GET /v1/pipeline: open, won and lost deals per value of a dimension. */
export type Pipeline = Schemas['Pipeline'];
/** One value's deal figures in a pipeline. */
export type PipelineGroup = Schemas['PipelineGroup'];
/** One step of a pipeline group's stage conversion, from one stage to the next or to Won. */
export type ConversionStep = PipelineGroup['conversion'][number];
/** GET /v1/acquisition: acquisition cost per period and segment, channel or in total. */
export type Acquisition = Schemas['Acquisition'];
/** One value's acquisition cost in one period. */
export type AcquisitionRow = Schemas['AcquisitionRow'];
/** Spend that no acquisition row holds, with its period. */
export type SpendAmount = Schemas['SpendAmount'];
/** GET /v1/analytics/holdout: the CLV model's calibration/holdout check. */
export type Holdout = Schemas['Holdout'];
/** The holdout check's figures, when there was something to check. */
export type HoldoutReport = NonNullable<Holdout['report']>;
/** Actual and predicted holdout purchase days of the customers with one calibration frequency, or of all. */
export type HoldoutGroup = Schemas['HoldoutGroup'];
