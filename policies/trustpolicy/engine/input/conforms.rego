# Code generated from policies/trustpolicy/schema/input/data.json by
# trustpolicy.authoring._conforms (python -m trustpolicy.authoring._conforms); DO NOT EDIT.
#
# conforms is a fast proof that the request matches the input schema: a few direct checks
# per field. Where it cannot prove the request valid it is undefined and json.match_schema
# decides and names every problem (input.rego), so it never changes an answer: what it
# accepts, the schema accepts (tests/test_conforms.py).
package trustpolicy.engine.input

conforms if {
	count(object.keys(input) - {"action", "actor", "subject", "counterpart", "authority", "purpose", "criminal_case", "information", "operation", "occurred_at", "detainer"}) == 0
	input.action in {"inquire_status", "detain", "arrest", "transfer_custody", "share_information", "commit_resources", "perform_immigration_function", "join_operation", "receive_detainer"}
	count(object.keys(input.actor) - {"agency", "role", "district"}) == 0
	regex.match(`^[^\x{0000}-\x{001f}\x{007f}-\x{009f}\x{200b}-\x{200f}\x{202a}-\x{202e}\x{2066}-\x{2069}\x{feff}]{1,128}$`, input.actor.agency)
	input.actor.role in {"police_officer", "city_employee"}
	district1 := object.get(input.actor, "district", "x")
	regex.match(`^[^\x{0000}-\x{001f}\x{007f}-\x{009f}\x{200b}-\x{200f}\x{202a}-\x{202e}\x{2066}-\x{2069}\x{feff}]{1,32}$`, district1)
	subject2 := object.get(input, "subject", {})
	count(object.keys(subject2) - {"role", "in_custody", "eligible_for_release", "charges"}) == 0
	object.get(subject2, "role", "suspect") in {"suspect", "arrestee", "victim", "witness", "caller", "worker", "other"}
	is_boolean(object.get(subject2, "in_custody", false))
	is_boolean(object.get(subject2, "eligible_for_release", false))
	charges3 := object.get(subject2, "charges", [])
	is_array(charges3)
	count(charges3) <= 64
	every item4 in charges3 {
		count(object.keys(item4) - {"severity"}) == 0
		item4.severity in {"infraction", "misdemeanor", "felony", "serious_violent_felony"}
	}
	counterpart5 := object.get(input, "counterpart", {"agency": "ICE-ERO"})
	count(object.keys(counterpart5) - {"agency", "forwards_to"}) == 0
	counterpart5.agency in {"ICE-ERO", "ICE-HSI", "CBP", "USCIS", "FBI", "DEA", "ATF", "USMS", "STATE_POLICE", "CITY_DEPARTMENT", "COURT", "OTHER"}
	forwards_to6 := object.get(counterpart5, "forwards_to", [])
	is_array(forwards_to6)
	count(forwards_to6) <= 16
	every item7 in forwards_to6 {
		item7 in {"ICE-ERO", "ICE-HSI", "CBP", "USCIS", "FBI", "DEA", "ATF", "USMS", "STATE_POLICE", "CITY_DEPARTMENT", "COURT", "OTHER"}
	}
	authority8 := object.get(input, "authority", [])
	is_array(authority8)
	count(authority8) <= 16
	every item9 in authority8 {
		count(object.keys(item9) - {"type", "issued_by"}) == 0
		item9.type in {"civil_detainer", "ice_administrative_warrant", "removal_order", "judicial_criminal_warrant", "judicial_order", "state_criminal_warrant", "criminal_probable_cause"}
		object.get(item9, "issued_by", "federal_judge") in {"federal_judge", "state_judge", "magistrate", "immigration_judge", "ice_officer"}
	}
	object.get(input, "purpose", "civil_immigration_enforcement") in {"civil_immigration_enforcement", "criminal_investigation", "visa_certification", "criminal_history_check", "public_safety", "statistics", "benefit_eligibility", "consular_notification", "other"}
	criminal_case10 := object.get(input, "criminal_case", {"id": "x"})
	count(object.keys(criminal_case10) - {"id", "statute", "category"}) == 0
	regex.match(`^[^\x{0000}-\x{001f}\x{007f}-\x{009f}\x{200b}-\x{200f}\x{202a}-\x{202e}\x{2066}-\x{2069}\x{feff}]{1,128}$`, criminal_case10.id)
	statute11 := object.get(criminal_case10, "statute", "x")
	regex.match(`^[^\x{0000}-\x{001f}\x{007f}-\x{009f}\x{200b}-\x{200f}\x{202a}-\x{202e}\x{2066}-\x{2069}\x{feff}]{1,128}$`, statute11)
	object.get(criminal_case10, "category", "human_trafficking") in {"human_trafficking", "narcotics", "weapons", "cybercrime", "financial", "document_fraud", "gang", "child_exploitation", "illegal_reentry", "other"}
	information12 := object.get(input, "information", [])
	is_array(information12)
	count(information12) <= 32
	every item13 in information12 {
		item13 in {"name", "date_of_birth", "home_address", "work_address", "phone", "physical_description", "photo", "incident_report", "release_date", "custody_status", "immigration_status", "citizenship", "criminal_history", "aggregate_statistics"}
	}
	operation14 := object.get(input, "operation", {"primary_purpose": "immigration_enforcement"})
	count(object.keys(operation14) - {"primary_purpose", "partner"}) == 0
	operation14.primary_purpose in {"immigration_enforcement", "criminal_enforcement", "public_safety"}
	object.get(operation14, "partner", "ICE-ERO") in {"ICE-ERO", "ICE-HSI", "CBP", "USCIS", "FBI", "DEA", "ATF", "USMS", "STATE_POLICE", "CITY_DEPARTMENT", "COURT", "OTHER"}
	occurred_at15 := object.get(input, "occurred_at", "2000-01-01T00:00:00Z")
	is_string(occurred_at15)
	count(occurred_at15) <= 64
	time.parse_rfc3339_ns(occurred_at15)
	detainer16 := object.get(input, "detainer", {})
	count(object.keys(detainer16) - {"form", "basis", "received_via", "received_at", "reference"}) == 0
	object.get(detainer16, "form", "I-247A") in {"I-247A", "I-247D", "I-247N", "I-203", "other"}
	basis17 := object.get(detainer16, "basis", [])
	is_array(basis17)
	count(basis17) <= 8
	every item18 in basis17 {
		item18 in {"final_order_of_removal", "removal_proceedings_pending", "biometric_records_match", "statements_or_evidence"}
	}
	object.get(detainer16, "received_via", "fax") in {"fax", "email", "electronic", "in_person", "other"}
	received_at19 := object.get(detainer16, "received_at", "2000-01-01T00:00:00Z")
	is_string(received_at19)
	count(received_at19) <= 64
	time.parse_rfc3339_ns(received_at19)
	reference20 := object.get(detainer16, "reference", "x")
	regex.match(`^[^\x{0000}-\x{001f}\x{007f}-\x{009f}\x{200b}-\x{200f}\x{202a}-\x{202e}\x{2066}-\x{2069}\x{feff}]{1,64}$`, reference20)
}
