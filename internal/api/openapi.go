package api

import _ "embed"

// openAPI is the OpenAPI 3.1 description of this API, served at
// GET /v1/openapi.json.
//
//go:embed openapi.json
var openAPI []byte
