// Shapes of the API's JSON answers (see GET /v1/openapi.json). Money and
// ratios are decimal strings; undefined figures are null.

/** The figures of one segment, or of a total, over a range. */
export interface Metrics {
  revenue: string;
  cost?: string | null;
  margin?: string | null;
  margin_rate?: string | null;
  orders: number;
  units?: string;
  lines: number;
  avg_revenue_per_line?: string | null;
  avg_order_value?: string | null;
  deals?: Deals | null;
}

/** Closed deals of deal files (CRM pipelines) over a range. */
export interface Deals {
  won: number;
  lost: number;
  win_rate: string;
  won_revenue: string;
  avg_won_deal: string | null;
  avg_cycle_days: string | null;
  velocity: string | null;
}

/** Revenue compared with a comparison range. */
export interface Change {
  revenue: string;
  change: string;
  rate: string | null;
}

/** Growth against the previous range and the same range a year earlier. */
export interface Growth {
  previous: Change | null;
  year_ago: Change | null;
}

/** A period a response covers; from/to are ISO dates, null at an open end. */
export interface Window {
  label: string;
  grain: string;
  from: string | null;
  to: string | null;
}

/** One value's figures in a breakdown. */
export interface SegmentRow extends Metrics {
  value: string;
  values: string[];
  share: string | null;
  growth: Growth;
}

/** GET /v1/segments. */
export interface Breakdown extends Metrics {
  dimension: string;
  dimensions: string[];
  period: Window;
  comparisons: { previous: Window | null; year_ago: Window | null };
  growth: Growth;
  value_count: number;
  segments: SegmentRow[];
  other: (Metrics & { value_count: number; share: string | null; growth: Growth }) | null;
  next_cursor: string | null;
}

/** One period of a trend series. */
export interface Point {
  period: string;
  revenue: string;
  orders: number;
  units?: string;
  lines: number;
  margin?: string | null;
  avg_order_value?: string | null;
  growth: { previous: string | null; year_ago: string | null };
}

/** GET /v1/trend. */
export interface Trend {
  dimension: string;
  dimensions: string[];
  period: Window;
  periods: Window[];
  total: { value_count: number; revenue: string; points: Point[] };
  value_count: number;
  series: { value: string; values: string[]; revenue: string; points: Point[] }[];
  other: { value_count: number; revenue: string; points: Point[] } | null;
  next_cursor: string | null;
}

/** GET /v1/kpis. */
export interface KPIs extends Metrics {
  period: Window;
  comparisons: { previous: Window | null; year_ago: Window | null };
  avg_deal_size: string | null;
  growth: Growth;
  customers: {
    available: boolean;
    as_of: string | null;
    computed_at: string | null;
    customers: number | null;
    new: number | null;
    returning: number | null;
    revenue_per_customer: string | null;
    detail: string;
  };
}

/** GET /v1/dimensions. */
export interface DimensionList {
  dimensions: {
    name: string;
    has_data: boolean;
    value_count: number;
    first_month: string | null;
    last_month: string | null;
    grains: string[];
    cross_grains: string[];
  }[];
}

/** GET /v1/uploads/{id} and GET /v1/uploads?key=. */
export interface Upload {
  id: string;
  bucket?: string;
  key: string;
  version?: string | null;
  status: string;
  rows: number;
  accepted: number;
  rejected: number;
  rejects_key?: string | null;
  rejects_url?: string | null;
  format?: {
    compression?: string;
    encoding?: string;
    delimiter?: string;
    date_format?: string;
    columns?: Record<string, string>;
    [k: string]: unknown;
  } | null;
  error?: string | null;
  started_at?: string;
  finished_at?: string | null;
}

/** POST /v1/uploads: where and how to PUT the file. */
export interface UploadTicket {
  id?: string;
  key: string;
  url?: string;
  upload_url?: string;
  method?: string;
  headers?: Record<string, string>;
  expires_at?: string;
  status_url?: string;
}

/** The recompute snapshot an analytics answer comes from. */
export interface Snapshot {
  id: string;
  computed_at: string;
  as_of: string;
}

/** A group (tier, RFM group, quadrant) within one dimension value. */
export interface GroupFigures {
  group: string;
  customers: number;
  revenue: string;
  customer_share: number;
  revenue_share: number;
}

/** GET /v1/analytics/{tiers,rfm,quadrants}. */
export interface GroupAnalytics {
  snapshot: Snapshot;
  kind: string;
  dimension: string;
  rows: { dimension: string; value: string; customers: number; revenue: string; groups: GroupFigures[] }[];
}

/** GET /v1/analytics/forecast. */
export interface Forecast {
  snapshot: Snapshot;
  dimension: string;
  rows: {
    dimension: string;
    value: string;
    customers: number;
    revenue: string;
    expected_active: number;
    expected_purchases: number;
    projected_revenue: number;
  }[];
}

/** Customers and revenue of one bridge movement. */
export interface Movement {
  customers: number;
  revenue: string;
}

/** One period of GET /v1/analytics/bridge. */
export interface BridgeRow {
  dimension: string;
  value: string;
  period: string;
  previous: string;
  start: Movement;
  end: Movement;
  new: Movement;
  retained: Movement;
  expansion: Movement;
  contraction: Movement;
  churned: Movement;
  reactivated: Movement;
  retention_rate?: number | null;
  revenue_retention?: number | null;
  conversion?: number | null;
  penetration?: number | null;
}

/** GET /v1/analytics/bridge. */
export interface Bridge {
  snapshot: Snapshot;
  dimension: string;
  grain: string;
  rows: BridgeRow[];
}

/** One customer of GET /v1/analytics/customers. */
export interface CustomerRow {
  id: string;
  revenue: string;
  orders: number;
  tier: string;
  rfm_group: string;
  quadrant?: string;
  p_alive?: number;
  expected_purchases?: number;
  clv?: number;
}

/** GET /v1/analytics/customers. */
export interface CustomerList {
  snapshot: Snapshot;
  customers: CustomerRow[];
  total: number;
  next_cursor: string | null;
}

/** GET /v1/analytics/model. */
export interface Model {
  snapshot: Snapshot;
  meta: { customers?: number; clv?: { horizon_months?: number } | null; warnings?: string[] | null; [k: string]: unknown };
}
