package forecast

import "errors"

// Sentinel errors returned, wrapped with context, by Forecast and the
// per-method functions. Test for them with errors.Is.
var (
	// ErrTooShort is returned when a series has fewer than MinLength months,
	// or fewer than a method needs (for example FitETS with a seasonal Spec
	// and less than two full seasons). Forecast itself only returns it below
	// MinLength: between MinLength and the length a method needs it drops
	// that method and says so in Result.Notes.
	ErrTooShort = errors.New("forecast: series too short")

	// ErrBadValue is returned when a value of the series is NaN, infinite or
	// larger in magnitude than MaxAbs. The wrapping error names the month.
	ErrBadValue = errors.New("forecast: value not finite or out of range")

	// ErrHorizon is returned when the horizon is outside 1..MaxHorizon.
	ErrHorizon = errors.New("forecast: horizon out of range")
)
