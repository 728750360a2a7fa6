package metrics

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestDashboardNamesExportedMetrics: every parley_ metric the Grafana
// dashboard queries is one this package exports.
func TestDashboardNamesExportedMetrics(t *testing.T) {
	m := New()
	known := map[string]bool{}
	ch := make(chan *prometheus.Desc, 64)
	for _, c := range []prometheus.Collector{m.eventsStored, m.appendSeconds, m.appendFailures, m.deliverySecs,
		projectionCollector{m}, m.connections, m.errors, m.webhookTotal, m.webhookSeconds, m.emails, m.commands, m.framesSent, m.ackSeconds, m.queueWaitSecs, m.assignments,
		&webhookCollector{}, storeSizeCollector(""), backlogCollector(nil), &queueCollector{}} {
		c.Describe(ch)
	}
	close(ch)
	name := regexp.MustCompile(`fqName: "([a-z_]+)"`)
	for d := range ch {
		known[name.FindStringSubmatch(d.String())[1]] = true
	}
	raw, err := os.ReadFile("../../docs/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatal(err)
	}
	used := regexp.MustCompile(`parley_[a-z_]+`)
	for _, p := range dash.Panels {
		for _, target := range p.Targets {
			for _, n := range used.FindAllString(target.Expr, -1) {
				base := strings.TrimSuffix(n, "_bucket")
				if !known[base] {
					t.Errorf("panel %q queries %s, which is not exported", p.Title, n)
				}
			}
		}
	}
}
