package api

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strings"

	"github.com/govalues/decimal"
)

// A cursor is opaque to clients: base64url of a small JSON object holding
// a format version, a fingerprint of the query it belongs to (every
// parameter except cursor and limit) and the sort key of the last item
// returned. It is validated on the way in: a cursor that does not decode,
// or belongs to another query, is a 400 that says to start again.

type cursorBody struct {
	V int      `json:"v"`
	Q string   `json:"q"`
	K []string `json:"k"`
}

const cursorVersion = 1

// fingerprint identifies a query by its parameters other than cursor and
// limit, so a cursor cannot be replayed against another query.
func fingerprint(q query) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		if k != "cursor" && k != "limit" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k + "\x00" + q[k] + "\x00"))
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

func encodeCursor(q query, key []string) string {
	data, _ := json.Marshal(cursorBody{V: cursorVersion, Q: fingerprint(q), K: key})
	return base64.RawURLEncoding.EncodeToString(data)
}

// decodeCursor returns the sort key of the cursor parameter, nil without
// one. The key has parts elements; for rankings (parts 2) the first is a
// decimal revenue.
func decodeCursor(q query, parts int) ([]string, error) {
	raw, ok := q["cursor"]
	if !ok {
		return nil, nil
	}
	invalid := badRequest("Parameter cursor is not valid for this query: pass next_cursor from the previous page unchanged, with the same other parameters, or start again without cursor.")
	data, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(raw, "="))
	if err != nil || len(data) == 0 {
		return nil, invalid
	}
	var c cursorBody
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || c.V != cursorVersion || c.Q != fingerprint(q) || len(c.K) != parts {
		return nil, invalid
	}
	for _, k := range c.K {
		if cleanText(k) != nil {
			return nil, invalid
		}
	}
	if parts == 2 {
		if _, err := decimal.Parse(c.K[0]); err != nil {
			return nil, invalid
		}
	}
	return c.K, nil
}
