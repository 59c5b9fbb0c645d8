package api

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/salesseg/salesseg/internal/dimension"
)

// TestInputValidation sends hostile and malformed parameters. Each must
// get a 400 (or 404) problem with a detail naming the parameter, and none
// may cause a single read: validation happens before anything reaches
// DynamoDB.
func TestInputValidation(t *testing.T) {
	long := strings.Repeat("x", maxParamBytes+1)
	cases := []struct {
		name, target string
		status       int
		detail       string
	}{
		{"missing dimension", "/v1/segments", 400, "dimension is required"},
		{"unknown dimension", "/v1/segments?dimension=planet", 400, "unknown dimension"},
		{"sql injection dimension", "/v1/segments?dimension=" + url.QueryEscape("segment' OR '1'='1"), 400, "unknown dimension"},
		{"key injection dimension", "/v1/segments?dimension=" + url.QueryEscape("segment#M"), 400, "unknown dimension"},
		{"expression injection period", "/v1/segments?dimension=segment&period=" + url.QueryEscape("2024 OR pk <> :pk"), 400, "not a period"},
		{"nosql operator", "/v1/segments?dimension=segment&from=" + url.QueryEscape(`{"$gt":""}`), 400, "Parameter from"},
		{"three crossed dimensions", "/v1/segments?dimension=segment,region,channel", 400, "at most two"},
		{"repeated parameter crosses three", "/v1/segments?dimension=segment&dimension=region&dimension=size", 400, "at most two"},
		{"dimension crossed with itself", "/v1/segments?dimension=region,Sales%20Region", 400, "with itself"},
		{"total crossed", "/v1/segments?dimension=total,region", 400, "cannot be crossed"},
		{"crossed at day grain", "/v1/segments?dimension=segment,region&period=2024-01-15", 400, "stored by month"},
		{"crossed at week grain", "/v1/trend?dimension=segment,region&grain=week&from=2024-W01&to=2024-W04", 400, "stored by month"},
		{"oversized value", "/v1/segments?dimension=" + long, 400, "too long"},
		{"oversized cursor", "/v1/segments?dimension=segment&cursor=" + strings.Repeat("A", maxCursorBytes+1), 400, "too long"},
		{"too many parameters", "/v1/segments?dimension=segment&a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10&k=11&l=12&m=13&n=14&o=15&p=16", 400, "Too many parameters"},
		{"unknown parameter", "/v1/segments?dimension=segment&form=2024", 400, `Unknown parameter "form"`},
		{"nul byte", "/v1/trend?dimension=segment&period=2024&value=" + url.QueryEscape("Consumer\x00"), 400, "control character"},
		{"newline", "/v1/trend?dimension=segment&period=2024&value=" + url.QueryEscape("Con\nsumer"), 400, "control character"},
		{"bidi override", "/v1/trend?dimension=segment&period=2024&value=" + url.QueryEscape("\u202eremusnoC"), 400, "control character"},
		{"invalid utf-8", "/v1/trend?dimension=segment&period=2024&value=%ff%fe", 400, "UTF-8"},
		{"value2 without crossing", "/v1/trend?dimension=segment&period=2024&value=a&value2=b", 400, "value2"},
		{"crossed with one value", "/v1/trend?dimension=segment,region&period=2024&value=a", 400, "value2"},
		{"month 13", "/v1/segments?dimension=segment&from=2016-13", 400, "YYYY-MM"},
		{"reversed range", "/v1/segments?dimension=segment&from=2017-01&to=2016-01", 400, "after"},
		{"period and from", "/v1/segments?dimension=segment&period=2024&from=2024-01", 400, "either period or from/to"},
		{"unknown grain", "/v1/segments?dimension=segment&period=2024&grain=decade", 400, "grain must be one of"},
		{"grain not aligned", "/v1/segments?dimension=segment&from=2024-01-15&to=2024-03&grain=month", 400, "not made of whole month"},
		{"fiscal start 13", "/v1/segments?dimension=segment&period=FY2024&fiscal_year_start=13", 400, "fiscal_year_start"},
		{"fiscal start word", "/v1/segments?dimension=segment&period=FY2024&fiscal_year_start=april", 400, "fiscal_year_start"},
		{"more than 20 years", "/v1/segments?dimension=segment&from=2000&to=2024", 400, "longer than 20 years"},
		{"more than 1000 days", "/v1/segments?dimension=segment&from=2020-01-01&to=2023-01-01", 400, "limited to 1000 days"},
		{"open range mid-month", "/v1/segments?dimension=segment&from=2024-01-15", 400, "month boundaries"},
		{"trend without range", "/v1/trend?dimension=segment", 400, "Give a range"},
		{"trend too many points", "/v1/trend?dimension=segment&grain=day&from=2021-01-01&to=2023-06-30&limit=100", 400, "points"},
		{"limit zero", "/v1/segments?dimension=segment&limit=0", 400, "limit must be"},
		{"limit too large", "/v1/segments?dimension=segment&limit=501", 400, "limit must be"},
		{"top too large", "/v1/segments?dimension=segment&top=101", 400, "top must be"},
		{"top not a number", "/v1/segments?dimension=segment&top=1e3", 400, "top must be"},
		{"top with cursor", "/v1/segments?dimension=segment&top=3&limit=5", 400, "do not combine"},
		{"garbage cursor", "/v1/segments?dimension=segment&cursor=!!!", 400, "cursor is not valid"},
		{"cursor of another query", "/v1/segments?dimension=region&cursor=" + encodeCursor(query{"dimension": "segment"}, []string{"1", "x"}), 400, "cursor is not valid"},
		{"forged cursor", "/v1/segments?dimension=segment&cursor=" + encodeCursor(query{"dimension": "segment"}, []string{"not-a-number", "x"}), 400, "cursor is not valid"},
		{"kpi value without dimension", "/v1/kpis?value=Consumer", 400, "needs dimension"},
		{"kpi dimension without value", "/v1/kpis?dimension=segment", 400, "give value"},
		{"values of a path traversal", "/v1/dimensions/..%2F..%2Fsegment/values", 404, "dimension"},
		{"health with parameters", "/v1/health?x=1", 400, "takes no parameters"},
		{"upload version with spaces", "/v1/uploads?key=transactions/a.csv&version=a%20b", 400, "version"},
	}
	e := newEnv(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.f.readCount()
			e.problemOf(e.do(request(http.MethodGet, c.target, true)), c.status, c.detail)
			if n := e.f.readCount() - before; n != 0 {
				t.Fatalf("a rejected request made %d reads", n)
			}
		})
	}
}

// TestUnicodeAndOddValues checks that values outside ASCII, or with
// characters that matter to the key design (#, $, commas, the crossed
// value separator), are answered as ordinary values.
func TestUnicodeAndOddValues(t *testing.T) {
	e := newEnv(t)
	for _, v := range []string{"Café ☕ Zürich", "東京 (Tōkyō)", "A#B$C", "Acme, Inc.", "Ünïcödé 👩‍💼"} {
		t.Run(v, func(t *testing.T) {
			e.f.ingest(t, []sale{{"2024-03-05", "10.5", "", map[dimension.Dimension]string{dimension.Segment: v}}})
			var tr Trend
			e.get("/v1/trend?dimension=segment&grain=month&period=2024-03&value="+url.QueryEscape(v), 200, &tr)
			if len(tr.Series) != 1 || str(tr.Series[0].Value) != v || tr.Series[0].Revenue == "0" {
				t.Fatalf("series %+v", tr.Series)
			}
			var k KPIs
			e.get("/v1/kpis?period=2024-03&dimension=segment&value="+url.QueryEscape(v), 200, &k)
			if str(k.Scope.Value) != v || k.Revenue == "0" {
				t.Fatalf("kpis %+v", k)
			}
		})
	}
}
