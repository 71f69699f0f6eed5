package mgmt

import (
	"errors"

	"github.com/credo-dev/credo/store"
)

func (a *API) listLogs(c *call) (any, error) {
	fl, err := c.q.fields()
	if err != nil {
		return nil, err
	}
	var f store.LogFilter
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
