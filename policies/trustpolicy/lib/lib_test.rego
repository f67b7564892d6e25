package trustpolicy.lib_test

import data.trustpolicy.lib

test_recipients_include_forwarders_and_partners if {
	recipients := lib.recipients with input as {
		"counterpart": {"agency": "CITY_DEPARTMENT", "forwards_to": ["ICE-ERO", "COURT"]},
		"operation": {"primary_purpose": "public_safety", "partner": "CBP"},
	}
	recipients == {"CITY_DEPARTMENT", "ICE-ERO", "COURT", "CBP"}
}

test_a_department_forwarding_to_ice_is_an_immigration_authority if {
	lib.to_immigration_authority with input as {"counterpart": {"agency": "CITY_DEPARTMENT", "forwards_to": ["ICE-HSI"]}}
	not lib.to_civil_immigration_agency with input as {"counterpart": {"agency": "CITY_DEPARTMENT", "forwards_to": ["ICE-HSI"]}}
	not lib.to_immigration_authority with input as {"counterpart": {"agency": "FBI", "forwards_to": ["DEA"]}}
}

test_civil_documents_include_non_judicial_warrants_and_orders if {
	documents := lib.civil_documents with input as {"authority": [
		{"type": "civil_detainer", "issued_by": "ice_officer"},
		{"type": "judicial_criminal_warrant", "issued_by": "ice_officer"},
		{"type": "judicial_order", "issued_by": "immigration_judge"},
		{"type": "state_criminal_warrant", "issued_by": "state_judge"},
		{"type": "criminal_probable_cause"},
	]}
	documents == {"civil_detainer", "judicial_criminal_warrant", "judicial_order"}
}

test_a_criminal_case_needs_an_id if {
	lib.has_criminal_case with input as {"criminal_case": {"id": "BPD-1"}}
	not lib.has_criminal_case with input as {"criminal_case": {"category": "gang"}}
}

test_pretext_needs_a_claim_no_case_and_an_immigration_authority if {
	lib.pretext with input as {"purpose": "criminal_investigation", "counterpart": {"agency": "CBP"}}
	not lib.pretext with input as {"purpose": "criminal_investigation", "counterpart": {"agency": "FBI"}}
	not lib.pretext with input as {"purpose": "criminal_investigation", "counterpart": {"agency": "CBP"}, "criminal_case": {"id": "1"}}
}

test_entry_appends_guard_notes_in_order if {
	meta := {"title": "T", "custom": {"id": "X-1", "citation": "C", "confidence": "text", "message": "M.", "versions": [{"version": "US-1373"}]}}
	entry := lib.entry(meta, {"B.", "A."})
	entry == {"rule": "X-1", "title": "T", "citation": "C", "confidence": "text", "version": "US-1373", "message": "M. A. B."}
}
