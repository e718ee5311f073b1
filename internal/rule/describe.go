package rule

import "sort"

// Info is the listing of one rule, as `trailsweep rules --json` prints it.
type Info struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Source    string `json:"source"`
	Type      string `json:"type"`
	Language  string `json:"language"`
	Severity  string `json:"severity"`
	Supported bool   `json:"supported"`
	Reason    string `json:"reason"`

	// Status and FalsePositives are shown in the human listing only.
	Status         string   `json:"-"`
	FalsePositives []string `json:"-"`
}

// Describe lists rules sorted by source, then name, then ID.
func Describe(rules []*Rule) []Info {
	out := make([]Info, 0, len(rules))
	for _, r := range rules {
		out = append(out, Info{
			ID:        r.ID,
			Name:      r.Name,
			Source:    r.Source,
			Type:      r.Type,
			Language:  r.Language,
			Severity:  r.Severity,
			Supported: r.Supported,
			Reason:    r.Reason,

			Status:         r.Status,
			FalsePositives: r.FalsePositives,
		})
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Source != b.Source {
			return a.Source < b.Source
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.ID < b.ID
	})
	return out
}
