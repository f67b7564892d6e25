package system.authz_test

import data.system.authz

# Placeholder hashes; tests put the SHA-256 of "token-c11" in for district-c11.
_clients := {
	"district-c11": "1111111111111111111111111111111111111111111111111111111111111111",
	"records": "0000000000000000000000000000000000000000000000000000000000000000",
}

_request(method, path) := {
	"identity": "token-c11", "method": method, "path": path, "params": {},
	"body": {"input": {"action": "detain", "requests": []}},
}

_decision := ["v1", "data", "trustpolicy", "decision"]

test_known_client_is_named if {
	authz.client == "district-c11" with input as _request("GET", ["health"])
		with authz.api_clients as _clients_for("token-c11")
}

test_known_client_may_ask_for_decisions_batches_and_revision if {
	every path in [_decision, ["v1", "data", "trustpolicy", "batch"], ["v1", "data", "trustpolicy", "revision"]] {
		authz.allow with input as _request("POST", path)
			with authz.api_clients as _clients_for("token-c11")
	}
}

test_known_client_may_check_health if {
	every params in [{}, {"bundles": [""]}, {"bundles": ["true"], "plugins": [""]}] {
		authz.allow with input as object.union(_request("GET", ["health"]), {"params": params})
			with authz.api_clients as _clients_for("token-c11")
	}
}

test_decision_or_batch_without_its_input_document_is_refused if {
	every body in [{}, {"input": null}, {"input": []}, {"inputs": {}}, {"input": {"requests": {}}}] {
		not authz.allow with input as _with_body(["v1", "data", "trustpolicy", "batch"], body)
			with authz.api_clients as _clients_for("token-c11")
	}
}

test_decision_without_an_input_object_is_refused if {
	every body in [{}, {"input": null}, {"input": "detain"}, {"input": []}] {
		not authz.allow with input as _with_body(_decision, body)
			with authz.api_clients as _clients_for("token-c11")
	}
}

test_health_with_other_parameters_is_refused if {
	not authz.allow with input as object.union(_request("GET", ["health"]), {"params": {"exclude-plugin": ["x"]}})
		with authz.api_clients as _clients_for("token-c11")
}

test_decision_with_query_parameters_is_refused if {
	every params in [{"explain": ["full"]}, {"instrument": [""]}, {"provenance": [""]}, {"pretty": [""]}] {
		not authz.allow with input as object.union(_request("POST", _decision), {"params": params})
			with authz.api_clients as _clients_for("token-c11")
	}
}

test_nobody_may_change_or_read_policies_or_data if {
	every call in [
		["PUT", ["v1", "policies", "trustpolicy"]],
		["DELETE", ["v1", "policies", "trustpolicy"]],
		["GET", ["v1", "policies"]],
		["PUT", ["v1", "data", "trustpolicy"]],
		["PATCH", ["v1", "data"]],
		["DELETE", ["v1", "data", "trustpolicy"]],
		["GET", _decision],
		["GET", ["v1", "data", "system", "authz", "api_clients"]],
		["POST", ["v1", "data", "system", "authz", "allow"]],
		["POST", ["v1", "data"]],
		["POST", ["v1", "query"]],
		["POST", ["v1", "compile"]],
		["POST", [""]],
		["GET", ["metrics"]],
		["GET", ["v1", "config"]],
		["GET", ["v1", "status"]],
		["POST", ["v1", "data", "trustpolicy", "decision", ""]],
		["POST", ["v1", "data", "trustpolicy/decision"]],
		["POST", ["v0", "data", "trustpolicy", "decision"]],
	] {
		not authz.allow with input as _request(call[0], call[1])
			with authz.api_clients as _clients_for("token-c11")
	}
}

test_unknown_missing_or_empty_token_is_refused if {
	every identity in ["token-c12", "TOKEN-C11", "token-c11 ", ""] {
		not authz.allow with input as object.union(_request("POST", _decision), {"identity": identity})
			with authz.api_clients as _clients_for("token-c11")
	}
}

test_request_without_a_token_is_refused if {
	not authz.allow with input as object.remove(_request("POST", _decision), ["identity"])
		with authz.api_clients as _clients_for("token-c11")
}

test_a_listed_hash_is_not_itself_a_token if {
	not authz.allow with input as object.union(_request("POST", _decision), {"identity": crypto.sha256("token-c11")})
		with authz.api_clients as _clients_for("token-c11")
}

test_without_client_list_nobody_is_allowed if {
	not authz.allow with input as _request("POST", _decision)
	not authz.allow with input as _request("POST", _decision) with authz.api_clients as {}
	not authz.allow with input as _request("POST", _decision) with authz.api_clients as _clients
}

_clients_for(token) := object.union(_clients, {"district-c11": crypto.sha256(token)})

_with_body(path, body) := object.union(object.remove(_request("POST", path), ["body"]), {"body": body})
