# METADATA
# title: Tests of the law in force on the day of the act
# description: >-
#   Every version boundary (the day before and the day of), the Tara Construction acts as of
#   2017 and as of today, the day in Boston, and dates the engine must refuse.
package trustpolicy.law_test

import data.trustpolicy.law
import data.trustpolicy_test as t

on(day, request) := object.union(request, {"occurred_at": sprintf("%sT12:00:00-05:00", [day])})

releasable := {"role": "arrestee", "in_custody": true, "eligible_for_release": true}

detainer_hold := t.request("detain", {"subject": releasable, "authority": [{"type": "civil_detainer", "issued_by": "ice_officer"}]})

warrant_hold := t.request("detain", {"subject": releasable, "authority": [{"type": "ice_administrative_warrant", "issued_by": "ice_officer"}]})

tara := t.request("share_information", {
	"subject": {"role": "worker"},
	"counterpart": {"agency": "ICE-ERO"},
	"information": ["name", "immigration_status"],
	"purpose": "civil_immigration_enforcement",
})

question := t.request("inquire_status", {"subject": {"role": "other"}, "purpose": "other"})

handover := t.request("transfer_custody", {"counterpart": {"agency": "ICE-ERO"}})

cases := {
	"before the 2014 Act no Boston provision holds a detainer hold": {
		"input": on("2014-08-19", detainer_hold),
		"want": t.allow,
	},
	"the day the 2014 Act is in force, a detainer hold is BTA-DET-01 and is recorded": {
		"input": on("2014-08-20", detainer_hold),
		"want": t.want("deny", {"BTA-DET-01"}, {}, set(), {"BTA-RPT-01"}),
	},
	"the day before Lunn, only the Trust Act forbids the hold": {
		"input": on("2017-07-23", detainer_hold),
		"want": t.want("deny", {"BTA-DET-01"}, {}, set(), {"BTA-RPT-01"}),
	},
	"the day of Lunn, Massachusetts law forbids it too": {
		"input": on("2017-07-24", detainer_hold),
		"want": t.want("deny", {"BTA-DET-01", "MA-LUNN-01"}, {}, set(), {"BTA-RPT-01"}),
	},
	"the day before the 2019 amendment an administrative warrant hold was not covered": {
		"input": on("2019-12-18", warrant_hold),
		"want": t.allow,
	},
	"the day of the 2019 amendment an administrative warrant hold is BTA-DET-01": {
		"input": on("2019-12-19", warrant_hold),
		"want": t.deny({"BTA-DET-01"}),
	},
	"Tara Construction as of 2017: only legal review of the status information": {
		"input": on("2017-03-15", tara),
		"want": t.want("escalate", set(), {}, {"FED-1373-ESC"}, set()),
	},
	"Tara Construction under the 2019 amendment": {
		"input": on("2019-12-19", tara),
		"want": t.want("deny", {"BTA-INFO-01"}, {}, {"FED-1373-ESC"}, set()),
	},
	"a status question the day before the 2019 amendment": {
		"input": on("2019-12-18", question),
		"want": t.allow,
	},
	"a status question the day of the 2019 amendment": {
		"input": on("2019-12-19", question),
		"want": t.deny({"BTA-INQ-01"}),
	},
	"a transfer to ICE-ERO in 2018 was not yet covered": {
		"input": on("2018-05-01", handover),
		"want": t.allow,
	},
	"a judicial criminal warrant lifted the 2014 hold prohibition": {
		"input": on("2016-01-04", object.union(detainer_hold, {"authority": [
			{"type": "civil_detainer", "issued_by": "ice_officer"},
			{"type": "judicial_criminal_warrant", "issued_by": "federal_judge"},
		]})),
		"want": t.want("allow", set(), {"EXC-JUDICIAL-WARRANT": "BTA-DET-01"}, set(), {"BTA-RPT-01"}),
	},
	"03:00 UTC on 19 December 2019 is still 18 December in Boston": {
		"input": object.union(question, {"occurred_at": "2019-12-19T03:00:00Z"}),
		"want": t.allow,
	},
	"00:30 in Boston on 19 December 2019 is the day of the amendment": {
		"input": object.union(question, {"occurred_at": "2019-12-19T00:30:00-05:00"}),
		"want": t.deny({"BTA-INQ-01"}),
	},
	"the day US-1373 came into force": {
		"input": on("1996-09-30", tara),
		"want": t.want("escalate", set(), {}, {"FED-1373-ESC"}, set()),
	},
	"before the oldest law encoded is refused": {
		"input": on("1996-09-29", question),
		"want": t.deny({"TP-INPUT-01"}),
	},
	"a date in the future is refused": {
		"input": object.union(question, {"occurred_at": "2099-01-01T00:00:00Z"}),
		"want": t.deny({"TP-INPUT-01"}),
	},
	"a date without a time is refused": {
		"input": object.union(question, {"occurred_at": "2019-12-19"}),
		"want": t.deny({"TP-INPUT-01"}),
	},
	"a detainer with an unreadable date is refused and still recorded": {
		"input": object.union(t.request("receive_detainer", {}), {"occurred_at": "last Tuesday"}),
		"want": t.want("deny", {"TP-INPUT-01"}, {}, set(), {"BTA-RPT-01"}),
	},
}

test_law_cases if t.failures(cases) == set()

test_each_entry_names_the_version_that_decided if {
	d2016 := t.decide(on("2016-06-01", detainer_hold))
	{[v.rule, v.version, v.citation] | some v in d2016.violations} == {[
		"BTA-DET-01", "BTA-2014",
		"Boston Code § 11-1.9; Boston Trust Act (2014) § 2",
	]}
	{[o.rule, o.version] | some o in d2016.obligations} == {["BTA-RPT-01", "BTA-2014"]}
	d2016.law == {"date": "2016-06-01", "versions": ["US-1373", "BTA-2014"]}

	today := t.decide(detainer_hold)
	{[v.rule, v.version] | some v in today.violations} == {["BTA-DET-01", "BTA-2019"], ["MA-LUNN-01", "MA-LUNN"]}
	today.law.versions == ["US-1373", "BTA-2014", "MA-LUNN", "BTA-2019"]
}

test_the_2014_exception_lifts_only_the_hold if {
	decision := t.decide(on("2016-01-04", object.union(detainer_hold, {"authority": [
		{"type": "civil_detainer", "issued_by": "ice_officer"},
		{"type": "judicial_criminal_warrant", "issued_by": "federal_judge"},
	]})))
	{[e.rule, e.version, e.citation] | some e in decision.exceptions} == {[
		"EXC-JUDICIAL-WARRANT", "BTA-2014",
		"Boston Code § 11-1.9; Boston Trust Act (2014) § 2",
	]}
}

test_refused_dates_name_the_field if {
	problems := {p | some v in t.decide(on("1990-01-01", question)).violations; some p in v.problems}
	problems == {"occurred_at: 1990-01-01 is before 1996-09-30, the oldest law this policy encodes"}
	future := {p | some v in t.decide(object.union(question, {"occurred_at": "2099-01-01T00:00:00Z"})).violations; some p in v.problems}
	future == {"occurred_at: lies in the future; a decision applies the law in force on the day an act happened"}
	t.decide(object.union(question, {"occurred_at": "nope"})).law == {"date": null, "versions": []}
}

# A corrected date is one line of data.json; the decisions it moves are exactly the acts
# between the old day and the new one (here the Council's passage, 2019-12-11).
test_a_corrected_date_moves_exactly_the_acts_between if {
	t.decide(on("2019-12-15", question)).outcome == "allow"
	corrected := [v |
		some original in law.versions
		v := object.union(original, {"in_force_from": {true: "2019-12-11", false: original.in_force_from}[original.id == "BTA-2019"]})
	]
	after := t.decide(on("2019-12-15", question)) with law.versions as corrected
	after.outcome == "deny"
	earlier := t.decide(on("2019-12-10", question)) with law.versions as corrected
	earlier.outcome == "allow"
}

test_law_reads_the_day_in_boston if {
	law.date == "2019-12-18" with input as {"occurred_at": "2019-12-19T04:59:59Z"}
	law.date == "2019-12-19" with input as {"occurred_at": "2019-12-19T05:00:00Z"}
}

# The oldest law encoded is the first version: data.json lists the versions oldest first.
test_versions_are_listed_oldest_first if {
	days := [v.in_force_from | some v in law.versions]
	days == sort(days)
	count({d | some d in days}) == count(days)
}
