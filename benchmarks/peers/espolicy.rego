# The policy of policy/*.esp in Rego (v1 syntax), for the benchmark's regopy peer.
# Input: the document as JSON (ISO date strings, datetimes with their UTC offset), already valid
# against its schema. Data: data.holidays = {"YYYY-MM-DD": name} (Japanese national holidays, built
# once into the bundle from the `holidays` package; Rego has no holiday calendar of its own).
# Everything else is native Rego: dates compare as ISO strings, the Civil Code last day is
# time.add_date(start, years, 0, -1), Japan time is time.date/time.clock/time.weekday in Asia/Tokyo.
package espolicy

import rego.v1

max_years := 5

g2_terms := {3, 4, 5}

service_days := {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}

# the last day of a period of `years` years from `start` (contract §2): Go's AddDate(years, 0, -1)
# normalises 29 February to 1 March, so the day before is 28 February, as art. 143 wants.
last_day(start, years) := time.format([time.add_date(time.parse_ns("2006-01-02", start), years, 0, -1), "UTC", "2006-01-02"])

# ---------------------------------------------------------------- registration

requests := object.get(input, "requests", {})

history := object.get(input, "history", [])

reg_service_last_day := last_day(input.server.warranty_start, input.pack.term_years) if input.kind == "registration"

reg_warranty_last_day := last_day(input.server.warranty_start, input.server.warranty_years) if input.kind == "registration"

deny contains "mixed-generations" if {
	input.kind == "registration"
	some entry in history
	entry.generation != input.pack.generation
}

deny contains "term-beyond-five-years" if {
	input.kind == "registration"
	input.pack.term_years > max_years
}

deny contains "g2-term-not-in-catalogue" if {
	input.kind == "registration"
	input.pack.generation == "ESP_G2"
	not g2_terms[input.pack.term_years]
}

deny contains "registered-after-service-period" if {
	input.kind == "registration"
	input.registration_date > reg_service_last_day
}

warn contains "registered-after-warranty" if {
	input.kind == "registration"
	input.registration_date > reg_warranty_last_day
	input.registration_date <= reg_service_last_day
}

deny contains "periodic-maintenance-not-included" if {
	input.kind == "registration"
	object.get(requests, "periodic_maintenance", false) == true
}

deny contains "express-notification-24x365-on-weekday-plan" if {
	input.kind == "registration"
	input.pack.coverage == "weekday"
	object.get(requests, "express_notification_24x365", false) == true
}

deny contains "no-discount-without-express-notification" if {
	input.kind == "registration"
	object.get(requests, "discount_without_express_notification", false) == true
}

deny contains "ups-battery-not-covered" if {
	input.kind == "registration"
	object.get(requests, "ups_battery_replacement", false) == true
}

esp_history if {
	some entry in history
	entry.generation == "ESP"
}

review contains "esp-for-earlier-product" if {
	input.kind == "registration"
	input.pack.generation == "ESP"
	not esp_history
}

info contains "service-ends-without-notice" if {
	input.kind == "registration"
	outcome == "allow"
}

deny contains "purchase-after-registration" if {
	input.kind == "registration"
	input.pack.purchase_date > input.registration_date
}

deny contains "warranty-start-after-registration" if {
	input.kind == "registration"
	input.server.warranty_start > input.registration_date
}

# ---------------------------------------------------------------- change_request

change_denied := {
	"coverage": "coverage-change-not-possible",
	"term": "term-change-not-possible",
	"server": "server-change-not-possible",
	"generation": "generation-change-not-possible",
	"reissue": "reissue-not-possible",
}

info contains "registered-details-change" if {
	input.kind == "change_request"
	input.change.type in {"site", "contact"}
}

deny contains rule if {
	input.kind == "change_request"
	rule := change_denied[input.change.type]
}

# the term asked for: `to: 6`, or the whole number a text starts with ("6", "6 years"); the policy's
# number_in also reads full-width digits, which RE2's [0-9] does not (the corpus has none).
requested_years := input.change.to if {
	input.change.type == "term"
	is_number(input.change.to)
}

requested_years := to_number(m[0][1]) if {
	input.change.type == "term"
	is_string(input.change.to)
	m := regex.find_all_string_submatch_n(`^\s*([0-9]{1,9})(?:[^0-9]|$)`, input.change.to, 1)
	count(m) == 1
}

deny contains "term-change-beyond-five-years" if {
	input.kind == "change_request"
	requested_years > max_years
}

deny contains "express-notification-hours-on-weekday-plan" if {
	input.kind == "change_request"
	input.change.type == "express_notification_hours"
	input.registration.coverage == "weekday"
}

info contains "express-notification-hours-already-included" if {
	input.kind == "change_request"
	input.change.type == "express_notification_hours"
	input.registration.coverage == "24x365"
}

# ---------------------------------------------------------------- service_request

# rego-cpp 1.x returns undefined for a "Z" offset (OPA accepts it): spell UTC as +00:00 first.
requested_ns := time.parse_rfc3339_ns(replace(input.requested_at, "Z", "+00:00")) if input.kind == "service_request"

request_day := time.format([requested_ns, "Asia/Tokyo", "2006-01-02"])

request_clock := time.clock([requested_ns, "Asia/Tokyo"])

request_minute := (request_clock[0] * 60) + request_clock[1]

srv_service_last_day := last_day(input.server.warranty_start, input.registration.term_years) if input.kind == "service_request"

registered if request_day >= input.registration.registered_on

pack_active if {
	registered
	request_day <= srv_service_last_day
}

weekday_plan if input.registration.coverage == "weekday"

in_weekday_hours if {
	service_days[time.weekday([requested_ns, "Asia/Tokyo"])]
	request_minute >= 510 # 08:30
	request_minute < 1050 # 17:30
}

deny contains "no-registration-yet" if {
	input.kind == "service_request"
	not registered
}

deny contains "service-period-ended" if {
	input.kind == "service_request"
	request_day > srv_service_last_day
}

deny contains "periodic-maintenance-visit" if {
	input.kind == "service_request"
	input.service.type == "periodic_maintenance"
}

deny contains "ups-battery-is-consumable" if {
	input.kind == "service_request"
	input.service.part == "ups_battery"
}

info contains "holiday-is-service-day" if {
	input.kind == "service_request"
	pack_active
	weekday_plan
	in_weekday_hours
	data.holidays[request_day]
}

warn contains "outside-weekday-hours" if {
	input.kind == "service_request"
	pack_active
	weekday_plan
	not in_weekday_hours
}

# ---------------------------------------------------------------- the outcome

outcome := "deny" if {
	count(deny) > 0
} else := "review" if {
	count(review) > 0
} else := "allow"

result := {"outcome": outcome, "rules": ((deny | review) | warn) | info}
