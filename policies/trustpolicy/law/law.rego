# METADATA
# title: The law in force on the day of the act
# description: >-
#   A decision applies the law in force on the day the act happens: the day of
#   input.occurred_at in Boston if given, else the day of the decision. The versions of the
#   law and the days they came into force are data (data.json beside this file), the one
#   place to correct a date; each provision's METADATA names the versions that enact it.
# related_resources:
#   - ref: https://www.boston.gov/departments/police/boston-trust-act
#     description: Boston Trust Act (2014, amended 2019)
#   - ref: https://law.justia.com/cases/massachusetts/supreme-court/2017/sjc-12276.html
#     description: Lunn v. Commonwealth, 477 Mass. 517 (2017)
package trustpolicy.law

# The moment of the act in nanoseconds: occurred_at when it is a valid RFC 3339 time, the
# moment of the decision when no occurred_at is given; undefined for a malformed one.
moment := time.parse_rfc3339_ns(input.occurred_at) if is_string(input.occurred_at)

moment := time.now_ns() if not _has_occurred_at

_has_occurred_at if _ = input.occurred_at

# The day of the act in Boston, as YYYY-MM-DD.
date := sprintf("%04d-%02d-%02d", time.date([moment, data.trustpolicy.law.time_zone]))

# The versions are listed oldest first (law_test checks the order).
_earliest := data.trustpolicy.law.versions[0].in_force_from

# The versions in force on that day, in the order of data.json (oldest first); none (an
# empty list) when the day cannot be read.
versions_in_force := [v.id | some v in data.trustpolicy.law.versions; v.in_force_from <= date]

in_force := {id | some id in versions_in_force}

# The law block of the decision document; date is null when occurred_at cannot be read.
default summary := {"date": null, "versions": []}

summary := {"date": date, "versions": versions_in_force} if date >= _earliest

# Problems with occurred_at, each naming the field (TP-INPUT-01). A time that cannot be
# read, lies in the future or before the oldest law encoded is never silently guessed at.
problems contains "occurred_at: must be an RFC 3339 date-time with a time zone, e.g. 2019-12-19T10:30:00-05:00" if {
	_has_occurred_at
	not moment
}

problems contains "occurred_at: lies in the future; a decision applies the law in force on the day an act happened" if {
	moment > time.now_ns() + (data.trustpolicy.law.clock_skew_seconds * 1000000000)
}

problems contains sprintf("occurred_at: %s is before %s, the oldest law this policy encodes", [date, _earliest]) if {
	date < _earliest
}
