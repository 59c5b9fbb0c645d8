package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"strconv"
	"testing"

	"github.com/salesseg/salesseg/internal/shareddata"
)

// TestForecastCommand forecasts Superstore from the command line: the
// monthly history equals the sums the forecast package's reference script
// computed in Python from the same file, and -to and -value cut it.
func TestForecastCommand(t *testing.T) {
	file := shareddata.Path(t, "sample_superstore_cp1252.csv")
	data, err := os.ReadFile("../../internal/forecast/testdata/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Series []struct {
			Name string    `json:"name"`
			Y    []float64 `json:"y"`
		} `json:"series"`
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	y := ref.Series[0].Y
	if ref.Series[0].Name != "superstore" {
		t.Fatalf("first reference series is %s", ref.Series[0].Name)
	}
	run1 := func(args ...string) forecastReport {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := run(context.Background(), append([]string{"forecast"}, append(args, file)...), &out, &errOut); err != nil {
			t.Fatalf("%v\n%s", err, errOut.String())
		}
		var rep forecastReport
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	rep := run1("-horizon", "6")
	if rep.Start != "2014-01" || len(rep.History) != len(y) || rep.Forecast == nil || len(rep.Forecast.Points) != 6 {
		t.Fatalf("history from %s of %d months, reference %d; forecast %+v", rep.Start, len(rep.History), len(y), rep.Forecast)
	}
	for i, h := range rep.History {
		f, _ := strconv.ParseFloat(h, 64)
		if math.Abs(f-y[i]) > 0.0051 {
			t.Errorf("month %d: %s, Python's sum %.2f", i, h, y[i])
		}
	}
	if past := run1("-to", "2016-12", "-horizon", "1"); len(past.History) != 36 {
		t.Errorf("-to 2016-12: %d months", len(past.History))
	}
	seg := run1("-dimension", "segment", "-value", "Consumer", "-horizon", "1")
	if seg.Value == nil || *seg.Value != "Consumer" || len(seg.History) != len(y) {
		t.Errorf("-value Consumer: %v over %d months", seg.Value, len(seg.History))
	}
	for i := range seg.History {
		s, _ := strconv.ParseFloat(seg.History[i], 64)
		a, _ := strconv.ParseFloat(rep.History[i], 64)
		if s > a+1e-6 || s <= 0 {
			t.Errorf("month %d: Consumer %s of %s in all", i, seg.History[i], rep.History[i])
		}
	}
}
