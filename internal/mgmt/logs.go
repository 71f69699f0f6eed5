package mgmt

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/credo-dev/credo/store"
)

// maxLogWindow is how far page/per_page reach into a log listing, as at
// Auth0; from/take read on from any event.
const maxLogWindow = 1000

func (a *API) listLogs(c *call) (any, error) {
	fl, err := c.q.fields()
	if err != nil {
		return nil, err
	}
	var f store.LogFilter
	// q and search (the name Auth0's current docs and SDKs use) are the
	// same search; given both, an event must match both.
	for _, name := range []string{"q", "search"} {
		sub, err := ParseLogQuery(c.q.str(name))
		if err != nil {
			return nil, errQuery(err.Error(), name)
		}
		switch {
		case sub == nil:
		case f.Query == nil:
			f.Query = sub
		default:
			f.Query = &store.LogQuery{Op: store.LogAnd, Args: []*store.LogQuery{f.Query, sub}}
		}
	}
	var p page
	checkpoint := c.q.has("from") || c.q.has("take")
	if checkpoint {
		// Checkpoint pagination: the events after from, oldest first (by
		// log_id), as an array with a Link rel="next" header. As at Auth0,
		// page, per_page, include_totals and sort are ignored then (checked
		// for well-formedness only; tools send include_totals=true along).
		// q still narrows the events: credo's log tail uses it, and it never
		// skips an event a checkpoint reader would get past.
		if _, err := c.q.page(); err != nil {
			return nil, err
		}
		if f.Limit, err = c.q.int("take", defaultPerPage, 1, maxPerPage); err != nil {
			return nil, err
		}
		f.From, f.Ascending = c.q.str("from"), true
	} else {
		switch c.q.str("sort") {
		case "", "date:-1":
		case "date:1":
			f.Ascending = true
		default:
			return nil, errQuery("sort must be date:1 (oldest first) or date:-1 (newest first)", "sort")
		}
		if p, err = c.q.page(); err != nil {
			return nil, err
		}
		if p.offset()+p.PerPage > maxLogWindow {
			return nil, errQuery("page and per_page reach past the first 1000 results; use from and take (checkpoint pagination) to read further", "page")
		}
		f.Offset, f.Limit = p.offset(), p.PerPage
	}
	list, total, err := c.st().ListLogs(c.r.Context(), f)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, errQuery("No log event with this id", "from")
		}
		return nil, err
	}
	items := make([]any, len(list))
	for i, e := range list {
		items[i] = LogEventView(e)
	}
	if items, err = fl.applyAll(items); err != nil {
		return nil, err
	}
	if checkpoint {
		next := f.From
		if len(list) > 0 {
			next = list[len(list)-1].ID
		}
		c.w.Header().Set("Link", c.nextLink(next, f.Limit))
		return items, nil
	}
	return paged(p, "logs", items, total), nil
}

func (a *API) getLog(c *call) (any, error) {
	e, err := c.st().GetLog(c.r.Context(), c.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return LogEventView(e), nil
}

// nextLink is the Link header of a checkpoint page of logs: the URL of the
// next page, which Auth0 asks checkpoint readers to follow. With no new
// event it is the URL just requested, so a reader polls it again.
func (c *call) nextLink(from string, take int) string {
	q := url.Values{}
	for k, v := range c.r.URL.Query() {
		q[k] = v
	}
	if from != "" {
		q.Set("from", from)
	}
	q.Set("take", strconv.Itoa(take))
	return "<" + strings.TrimSuffix(c.api.d.Issuer, "/") + c.r.URL.Path + "?" + q.Encode() + `>; rel="next"`
}
