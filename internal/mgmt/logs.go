package mgmt

import (
	"errors"

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
	switch c.q.str("sort") {
	case "", "date:-1":
	case "date:1":
		f.Ascending = true
	default:
		return nil, errQuery("sort must be date:1 (oldest first) or date:-1 (newest first)", "sort")
	}
	var p page
	checkpoint := c.q.has("from") || c.q.has("take")
	if checkpoint {
		// Checkpoint pagination: the events after from, oldest first, as an array.
		for _, n := range pageParams {
			if c.q.has(n) {
				return nil, errQuery("from and take cannot be combined with "+n, n)
			}
		}
		if f.Limit, err = c.q.int("take", defaultPerPage, 1, maxPerPage); err != nil {
			return nil, err
		}
		f.From = c.q.str("from")
	} else {
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
