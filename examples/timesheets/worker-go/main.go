// Command worker-go is ExampleCo's batch worker: a server process with no
// user that gets an access token with the OAuth 2.0 Client Credentials grant
// (client.TokenSource, which caches and refreshes it) and posts timesheet
// entries to the Timesheets API.
//
//	TIMESHEETS_WORKER_SECRET=… go run ./examples/timesheets/worker-go
//	TIMESHEETS_WORKER_SECRET=… go run ./examples/timesheets/worker-go --entries entries.json
//
// The client secret is read from TIMESHEETS_CLIENT_SECRET, or else
// TIMESHEETS_WORKER_SECRET (the variable the sample seed uses); it is never a
// flag, so it does not show in the process list. Other settings are flags,
// each with an environment variable. Against Auth0, only --issuer
// (https://TENANT.auth0.com/), --client-id and the secret change.
//
// It prints one line per entry and exits with status 1 if the token request
// fails or any entry is not accepted, 2 on bad usage.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/oauth2"

	"github.com/credo-dev/credo/client"
)

// entry is a timesheet entry as the API takes it.
type entry struct {
	UserID  string  `json:"user_id"`
	Date    string  `json:"date"`
	Project string  `json:"project"`
	Hours   float64 `json:"hours"`
	Notes   string  `json:"notes,omitempty"`
}

// sampleEntries are posted when no --entries file is given.
var sampleEntries = []entry{
	{UserID: "007", Date: "2025-03-03", Project: "StoreZero", Hours: 8, Notes: "Inventory sync"},
	{UserID: "007", Date: "2025-03-04", Project: "StoreZero", Hours: 6.5, Notes: "Checkout flow"},
	{UserID: "042", Date: "2025-03-04", Project: "Payroll", Hours: 4},
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("worker-go", flag.ContinueOnError)
	fs.SetOutput(stderr)
	issuer := fs.String("issuer", env("TIMESHEETS_ISSUER", "http://127.0.0.1:8080/"),
		"authorization server; the token endpoint is ISSUER/oauth/token (env TIMESHEETS_ISSUER)")
	audience := fs.String("audience", env("TIMESHEETS_AUDIENCE", "https://api.exampleco.com/timesheets"),
		"the Timesheets API identifier (env TIMESHEETS_AUDIENCE)")
	apiURL := fs.String("api", env("TIMESHEETS_API", "http://127.0.0.1:8081"), "Timesheets API base URL (env TIMESHEETS_API)")
	clientID := fs.String("client-id", env("TIMESHEETS_CLIENT_ID", "timesheets-worker"), "client id (env TIMESHEETS_CLIENT_ID)")
	file := fs.String("entries", env("TIMESHEETS_ENTRIES", ""), "JSON file with an array of entries; default: built-in samples (env TIMESHEETS_ENTRIES)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	secret := env("TIMESHEETS_CLIENT_SECRET", os.Getenv("TIMESHEETS_WORKER_SECRET"))
	if secret == "" {
		fmt.Fprintln(stderr, "worker-go: set TIMESHEETS_CLIENT_SECRET (or TIMESHEETS_WORKER_SECRET) to the client secret")
		return 2
	}
	entries := sampleEntries
	if *file != "" {
		var err error
		if entries, err = readEntries(*file); err != nil {
			fmt.Fprintln(stderr, "worker-go:", err)
			return 2
		}
	}

	ts := client.TokenSource(ctx, client.ClientCredentials{
		Issuer:       *issuer,
		ClientID:     *clientID,
		ClientSecret: secret,
		Audience:     *audience,
	})
	// Fetch the token up front so that a credentials problem is reported
	// once, not per entry. The transport reuses the cached token.
	if _, err := ts.Token(); err != nil {
		fmt.Fprintln(stderr, "worker-go: getting an access token:", err)
		return 1
	}
	hc := &http.Client{Transport: &oauth2.Transport{Source: ts}, Timeout: 30 * time.Second}

	failed := 0
	for i, e := range entries {
		id, err := post(ctx, hc, strings.TrimSuffix(*apiURL, "/")+"/timesheets", e)
		if err != nil {
			failed++
			fmt.Fprintf(stdout, "entry %d (%s %s %s): FAILED: %v\n", i+1, e.UserID, e.Date, e.Project, err)
			continue
		}
		fmt.Fprintf(stdout, "entry %d (%s %s %s %gh): created id %d\n", i+1, e.UserID, e.Date, e.Project, e.Hours, id)
	}
	fmt.Fprintf(stdout, "%d of %d entries created\n", len(entries)-failed, len(entries))
	if failed > 0 {
		return 1
	}
	return 0
}

func readEntries(name string) ([]entry, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var out []entry
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("%s: want a JSON array of {user_id, date, project, hours, notes}: %w", name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no entries", name)
	}
	return out, nil
}

// post sends one entry and returns the id the API assigned.
func post(ctx context.Context, hc *http.Client, url string, e entry) (int, error) {
	body, err := json.Marshal(e)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusCreated {
		var apiErr struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(rb, &apiErr) == nil && (apiErr.Error != "" || apiErr.Description != "") {
			return 0, fmt.Errorf("HTTP %d %s: %s", resp.StatusCode, apiErr.Error, apiErr.Description)
		}
		return 0, fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, bytes.TrimSpace(rb))
	}
	var created struct {
		ID int `json:"id"`
	}
	if err := json.Unmarshal(rb, &created); err != nil || created.ID == 0 {
		return 0, errors.New("the API answered 201 without an entry id")
	}
	return created.ID, nil
}
