# METADATA
# title: Who may use an agent's API
# description: |
#   OPA evaluates data.system.authz.allow for every API request when the agent runs with
#   --authentication=token --authorization=basic. A caller is known only by its bearer
#   token, which OPA passes as input.identity. The policy hashes it with SHA-256 and looks
#   the hash up in data.system.authz.api_clients, a map from client name to token hash
#   that the operator adds to the signed bundle (system/authz/data.json); tokens
#   themselves are never in the bundle, in git or in a log.
#   A known client may only ask for decisions: POST of data.trustpolicy.decision,
#   data.trustpolicy.batch or data.trustpolicy.revision on the v1 data API, without query
#   parameters (no explain, instrument or provenance), a decision or batch only with its
#   input document in the body, and GET /health. Nothing else is
#   allowed, to anyone: policies and data are never written, patched or deleted through
#   the API (they change only by publishing a new signed bundle). Without the api_clients
#   data nobody is allowed: the agent fails closed.
# related_resources:
#   - ref: https://www.openpolicyagent.org/docs/security#authentication-and-authorization
#     description: OPA API authentication and authorization (system.authz)
#   - ref: https://www.openpolicyagent.org/docs/rest-api#data-api
#     description: OPA data API
# schemas:
#   - input:
#       type: object
#       properties:
#         identity: {type: string}
#         method: {type: string}
#         path: {type: array, items: {type: string}}
#         params: {type: object, additionalProperties: {type: array, items: {type: string}}}
#         headers: {type: object}
#         client_certificates: {type: array}
#         body: {}
package system.authz

# Query parameters GET /health may carry (?bundles waits for the signed policy).
_health_params := {"bundles", "plugins"}

# METADATA
# description: |
#   true only for a known client asking for a decision or for health; undefined
#   (so denied by OPA with 401) for everything else.
# entrypoint: true
default allow := false

allow if {
	known_client
	_permitted
}

# METADATA
# description: The name of the client whose token hash matches the bearer token, if any.
client := name if {
	digest := crypto.sha256(input.identity)

	# regal ignore:unresolved-reference
	some name, expected in data.system.authz.api_clients
	expected == digest
}

# METADATA
# description: Whether the bearer token belongs to a client the operator listed.
known_client if client

# A decision or batch must carry its input document: a body without one is refused here,
# so no policy is ever asked to decide on nothing.
_permitted if {
	_plain_post
	input.path == ["v1", "data", "trustpolicy", "decision"]
	is_object(input.body.input)
}

_permitted if {
	_plain_post
	input.path == ["v1", "data", "trustpolicy", "batch"]
	is_array(input.body.input.requests)
}

_permitted if {
	_plain_post
	input.path == ["v1", "data", "trustpolicy", "revision"]
}

_permitted if {
	input.method == "GET"
	input.path == ["health"]
	every name, _ in object.get(input, "params", {}) {
		name in _health_params
	}
}

_plain_post if {
	input.method == "POST"
	count(object.get(input, "params", {})) == 0
}
