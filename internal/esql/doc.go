// Package esql parses the ES|QL of Elastic's detection rules and evaluates
// it over the ECS view of CloudTrail records.
//
// Parse turns a query into a syntax tree whose String prints it back;
// Compile checks it against what trailsweep evaluates (errors wrap
// ErrUnsupported) and returns a Program. Run evaluates a whole query over
// records in memory; a rule runs it in two stages instead (Prefix and
// Inputs per record, then Group, Merge and Finish per STATS group and
// execution; see internal/rule), so that no stage holds the records.
//
// Values are nil (null), bool, int64, float64, string, time.Time or []any
// (multi-valued). Choices where trailsweep departs from, or has to guess,
// Elasticsearch:
//   - Typing is dynamic: a comparison of values of different types is
//     null instead of a compile-time error; a string compared with a date
//     is parsed as one.
//   - A JSON number of the view is a long when integral (below 2^53) and a
//     double otherwise; dates are the fields of type date in ECS.
//   - METADATA _id is the record's event.id, _index the data stream
//     logs-aws.cloudtrail-default, _version 1.
//   - KEEP and DROP patterns expand over the fields the view produces and
//     keep those with a value; a column named outright is kept null or not.
//   - Time spans in days and weeks are fixed lengths (the rules compare
//     them with UTC timestamps); DATE_TRUNC and DATE_DIFF take units below
//     a month.
//   - RLIKE translates Lucene's syntax to RE2: "…" is a literal string and
//     the optional operators # @ & ~ < > are literal characters.
//   - VALUES lists its values sorted (Elasticsearch leaves the order
//     unspecified).
//   - GROK knows the standard patterns in grokPatterns, without
//     look-around; DISSECT has no reference keys (%{*k}, %{&k}).
package esql
