package forecast

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// reference is testdata/reference.json, written by
// testdata/make_reference.py with statsmodels 0.13.5.
type reference struct {
	Generator string `json:"generator"`
	Horizon   int    `json:"horizon"`
	Series    []struct {
		Name   string            `json:"name"`
		Y      []float64         `json:"y"`
		ETS    map[string]refETS `json:"ets"`
		Theta  refTheta          `json:"theta"`
		SNaive *refBand          `json:"snaive"`
	} `json:"series"`
}

type refBand struct {
	Mean []float64 `json:"mean"`
	Lo80 []float64 `json:"lo80"`
	Hi80 []float64 `json:"hi80"`
	Lo95 []float64 `json:"lo95"`
	Hi95 []float64 `json:"hi95"`
}

type refETS struct {
	refBand
	Params map[string]float64 `json:"params"`
	LogLik float64            `json:"llf"`
	AICc   float64            `json:"aicc"`
	K      int                `json:"k"`
}

type refTheta struct {
	refBand
	Seasonal bool    `json:"seasonal"`
	Alpha    float64 `json:"alpha"`
	B0       float64 `json:"b0"`
	Sigma2   float64 `json:"sigma2"`
}

func loadReference(t testing.TB) reference {
	t.Helper()
	raw, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref reference
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Series) == 0 || ref.Horizon != MaxHorizon {
		t.Fatalf("unexpected fixture: %d series, horizon %d", len(ref.Series), ref.Horizon)
	}
	return ref
}

// specNames maps the fixture's model names to specs.
func specNames() map[string]Spec {
	out := map[string]Spec{}
	for _, s := range Specs() {
		name := s.String() // ETS(A,Ad,A) -> AAdA
		short := ""
		for _, r := range name[4 : len(name)-1] {
			if r != ',' {
				short += string(r)
			}
		}
		out[short] = s
	}
	return out
}

func TestETSDebug(t *testing.T) {
	ref := loadReference(t)
	specs := specNames()
	for _, s := range ref.Series {
		for name, r := range s.ETS {
			fit, err := FitETS(s.Y, specs[name])
			if err != nil {
				t.Fatal(err)
			}
			pts := fit.Forecast(12)
			maxRel := 0.0
			maxLo := 0.0
			for i, p := range pts {
				maxRel = math.Max(maxRel, math.Abs(p.Mean-r.Mean[i])/math.Abs(r.Mean[i]))
				maxLo = math.Max(maxLo, math.Abs((p.Hi95-p.Lo95)-(r.Hi95[i]-r.Lo95[i]))/(r.Hi95[i]-r.Lo95[i]))
			}
			t.Logf("%s %s llf %.2f ref %.2f aicc %.2f ref %.2f  a=%.4f b=%.4f g=%.4f phi=%.3f  maxrel %.4f width %.4f", s.Name, name, fit.LogLik, r.LogLik, fit.AICc, r.AICc, fit.Alpha, fit.Beta, fit.Gamma, fit.Phi, maxRel, maxLo)
		}
	}
}

func TestThetaDebug(t *testing.T) {
	ref := loadReference(t)
	for _, s := range ref.Series {
		fit, err := FitTheta(s.Y)
		if err != nil {
			t.Fatal(err)
		}
		pts := fit.Forecast(12)
		maxRel, maxW := 0.0, 0.0
		for i, p := range pts {
			r := s.Theta
			maxRel = math.Max(maxRel, math.Abs(p.Mean-r.Mean[i])/math.Abs(r.Mean[i]))
			maxW = math.Max(maxW, math.Abs((p.Hi95-p.Lo95)-(r.Hi95[i]-r.Lo95[i]))/(r.Hi95[i]-r.Lo95[i]))
		}
		t.Logf("%s seasonal %v/%v alpha %.4f/%.4f b0 %.3f/%.3f s2 %.4g/%.4g maxrel %.5f width %.5f", s.Name, fit.Seasonal, s.Theta.Seasonal, fit.Alpha, s.Theta.Alpha, fit.B0, s.Theta.B0, fit.Sigma2, s.Theta.Sigma2, maxRel, maxW)
	}
}
