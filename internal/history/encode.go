package history

import (
	"encoding/json"
	"slices"
	"strconv"

	"github.com/salesseg/salesseg/internal/dimension"
)

// appendPurchase appends p as one line of a history, exactly as
// encoding/json's Encoder writes it (fields in order, empty optional
// fields left out, attributes by key, a newline), without its reflection:
// ingestion writes one line per customer and day, and reflection over
// the attributes' map was most of the time it took.
func appendPurchase(dst []byte, p Purchase) []byte {
	dst = append(dst, `{"c":`...)
	dst = appendString(dst, p.Customer)
	dst = append(dst, `,"d":"`...)
	dst, _ = p.Day.AppendText(dst) // never fails
	dst = append(dst, `","o":`...)
	dst = strconv.AppendInt(dst, p.Orders, 10)
	dst = append(dst, `,"l":`...)
	dst = strconv.AppendInt(dst, p.Lines, 10)
	dst = append(dst, `,"r":`...)
	dst = appendString(dst, p.Revenue)
	if p.Cost != "" {
		dst = append(dst, `,"k":`...)
		dst = appendString(dst, p.Cost)
	}
	if len(p.Attrs) > 0 {
		dst = append(dst, `,"a":{`...)
		var held [16]dimension.Dimension // a file has fewer dimensions: no allocation
		keys := held[:0]
		for k := range p.Attrs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, string(k))
			dst = append(dst, ':')
			dst = appendString(dst, p.Attrs[k])
		}
		dst = append(dst, '}')
	}
	if p.Name != "" {
		dst = append(dst, `,"n":`...)
		dst = appendString(dst, p.Name)
	}
	return append(dst, "}\n"...)
}

// appendString appends s as a JSON string as encoding/json writes it:
// printable ASCII other than quotes, backslashes and the HTML characters
// it escapes goes as it is; any other string goes through encoding/json,
// whose escaping of control characters, HTML and invalid UTF-8 it then
// matches by construction.
func appendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // a string always marshals
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}
