package scan

// Report is the JSON of `tlskit scan` (docs/json.md): what the scan saw, and the findings
// judged from it, in one document. Pinned by testdata/report.json (TestReportGolden).
type Report struct {
	*Result
	Findings []Finding `json:"findings"`
}

// NewReport judges res (Findings) and puts the verdicts beside what was seen.
func NewReport(res *Result) Report {
	return Report{Result: res, Findings: Findings(res)}
}
