package period

// Day numbers: the calendar arithmetic behind Date and ingestion's dates,
// done on millions of rows without time.Time's cost. Dates are proleptic
// Gregorian; day 0 is 1970-01-01.

// DaysIn returns the number of days of month m (1–12) of year y.
func DaysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// DayNumber returns the days from 1970-01-01 to y-m-d, negative before
// it, using H. Hinnant's days-from-civil algorithm over 400-year eras. The
// date must be valid (see DaysIn).
func DayNumber(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// Civil is the inverse of DayNumber.
func Civil(n int) (y, m, d int) {
	z := n + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
	}
	y = yoe + era*400
	if m <= 2 {
		y++
	}
	return y, m, d
}

// floorDiv divides rounding towards negative infinity.
func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// DayKey renders y-m-d as "YYYY-MM-DD", the form of day keys and dates in
// files, without time.Format's cost on millions of rows.
func DayKey(y, m, d int) string {
	var b [10]byte
	put4(b[:4], y)
	b[4] = '-'
	put2(b[5:7], m)
	b[7] = '-'
	put2(b[8:], d)
	return string(b[:])
}

// MonthKey renders a month as "YYYY-MM", the form of month keys.
func MonthKey(y, m int) string {
	var b [7]byte
	put4(b[:4], y)
	b[4] = '-'
	put2(b[5:], m)
	return string(b[:])
}

func put4(b []byte, n int) {
	b[0], b[1], b[2], b[3] = byte('0'+n/1000%10), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10)
}

func put2(b []byte, n int) { b[0], b[1] = byte('0'+n/10%10), byte('0'+n%10) }
