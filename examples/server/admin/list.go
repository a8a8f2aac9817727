package admin

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// maxPage bounds ?page=, so an offset never overflows whatever the page
// size.
const maxPage = 1_000_000

// pageOf reads the page number in the query parameter param (1 when
// absent or bad) and returns it with the offset of its first row.
func pageOf(r *http.Request, param string, size int) (page, offset int) {
	page, err := strconv.Atoi(r.URL.Query().Get(param))
	if err != nil || page < 1 {
		page = 1
	}
	page = min(page, maxPage)
	return page, (page - 1) * size
}

// pager is the navigation of a paginated list.
type pager struct {
	Page     int
	From, To int // the rows shown, counting from 1; 0 when none
	// Total is the rows in the whole list, when Counted.
	Total   int
	Counted bool
	Pages   int
	// The links, empty when there is no such page.
	FirstURL, PrevURL, NextURL, LastURL string
}

// newPager describes page (of size rows, shown of which are on it; more
// says whether another page follows) of a list of total rows, or of an
// unknown number when total is negative. Links keep the other parameters
// of the request (the search, the sort) and change param.
func newPager(r *http.Request, param string, page, size, shown int, more bool, total int) pager {
	p := pager{Page: page, Total: total, Counted: total >= 0}
	if shown > 0 {
		p.From = (page-1)*size + 1
		p.To = p.From + shown - 1
	}
	if page > 1 {
		p.FirstURL = withParam(r, param, 1)
		p.PrevURL = withParam(r, param, page-1)
	}
	if more {
		p.NextURL = withParam(r, param, page+1)
	}
	if p.Counted {
		p.Pages = max(1, (total+size-1)/size)
		if page < p.Pages {
			p.LastURL = withParam(r, param, p.Pages)
		}
		if page > p.Pages+1 { // past the end: offer the way back
			p.PrevURL = withParam(r, param, p.Pages)
		}
	}
	return p
}

// withParam returns the request's URL with param set to page (removed
// when 1) and the flash message dropped.
func withParam(r *http.Request, param string, page int) string {
	q := r.URL.Query()
	q.Del("done")
	if page <= 1 {
		q.Del(param)
	} else {
		q.Set(param, strconv.Itoa(page))
	}
	return urlWith(r.URL.Path, q)
}

func urlWith(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// listView is a paginated, searchable, sortable table of objects.
type listView struct {
	Noun   string // "item"
	AddURL string
	// Search is the search box's label; empty for a list without one.
	Search      string
	SearchValue string
	Filter      *filter
	Columns     []column
	Rows        []listRow
	Pager       pager
	Note        string // a remark under the table
}

// filter is a select box that narrows a list (monsters by state).
type filter struct {
	Name, Label string
	Options     []option
}

type option struct {
	Value, Label string
	Selected     bool
}

// column is a header of a list; SortURL, when set, sorts by it (and again
// the other way), and Sorted shows how it is sorted now.
type column struct {
	Label   string
	SortURL string
	Sorted  string // "ascending", "descending" or ""
}

// listRow is one object of a list: its cells, the first linking to URL.
type listRow struct {
	URL   string
	Cells []string
}

// sortable returns the columns of a list whose sort keys are keys (empty:
// not sortable), given the sort the request asks for.
func sortable(r *http.Request, current string, labels, keys []string) []column {
	cols := make([]column, len(labels))
	for i, label := range labels {
		cols[i].Label = label
		key := keys[i]
		if key == "" {
			continue
		}
		next := key
		switch current {
		case key:
			cols[i].Sorted = "ascending"
			next = "-" + key
		case "-" + key:
			cols[i].Sorted = "descending"
		}
		q := r.URL.Query()
		q.Del("done")
		q.Del("page")
		q.Set("sort", next)
		cols[i].SortURL = urlWith(r.URL.Path, q)
	}
	return cols
}

// search reads the search box (?q=), trimmed.
func search(r *http.Request) string {
	return strings.TrimSpace(r.URL.Query().Get("q"))
}

// pageRequest is the page of a list a request asks for.
type pageRequest struct {
	page, size, offset int
	// sort is the order, never "" (the store's default named), so that it
	// can be reversed; reversible says the store's "-key" is exactly the
	// reverse of "key", ties included.
	sort       string
	reversible bool
	// counted says the list is counted: it has no search, so its count is
	// an index or table scan the database does quickly, not a second pass
	// over every match.
	counted bool
}

// listing is a page of a list: its rows, whether more follow, and the
// number of rows in the whole list (-1 when not counted).
type listing[T any] struct {
	rows  []T
	more  bool
	total int
}

// readPage reads one page of a list with the store's Limit and Offset, and
// its count when p.counted, so that no page costs more than its offset
// needs:
//
//   - The first page and the count are read at once (on PostgreSQL, on two
//     connections), so the page takes as long as the slower of them.
//   - A page past the middle is read from the other end, in the reverse
//     order with the offset from the end, and turned round: an offset
//     costs the database a walk over the rows it skips, so the last page
//     costs what the first does, and the worst page is the middle one.
//   - A list that is not counted (a search, the item picker) reads one
//     row more than the page to tell whether another page follows; a page
//     that shows the last row tells the total.
func readPage[T any](ctx context.Context, p pageRequest,
	fetch func(ctx context.Context, sort string, limit, offset int) ([]T, error),
	count func(ctx context.Context) (int, error)) (listing[T], error) {
	var l listing[T]
	var err error
	switch {
	case !p.counted:
		if l.rows, err = fetch(ctx, p.sort, p.size+1, p.offset); err != nil {
			return l, err
		}
		l.more = len(l.rows) > p.size
		l.rows = l.rows[:min(len(l.rows), p.size)]
		l.total = -1
		if !l.more && (len(l.rows) > 0 || p.offset == 0) {
			l.total = p.offset + len(l.rows)
		}
		return l, nil
	case p.offset == 0:
		var rowsErr, countErr error
		var wg sync.WaitGroup
		wg.Go(func() { l.rows, rowsErr = fetch(ctx, p.sort, p.size+1, 0) })
		wg.Go(func() { l.total, countErr = count(ctx) })
		wg.Wait()
		if err := errors.Join(rowsErr, countErr); err != nil {
			return l, err
		}
		l.more = len(l.rows) > p.size
		l.rows = l.rows[:min(len(l.rows), p.size)]
		return l, nil
	}
	if l.total, err = count(ctx); err != nil {
		return l, err
	}
	n := min(p.size, l.total-p.offset)
	switch {
	case n <= 0: // past the end
	case p.reversible && p.offset > l.total/2:
		if l.rows, err = fetch(ctx, reverse(p.sort), n, l.total-p.offset-n); err != nil {
			return l, err
		}
		slices.Reverse(l.rows)
	default:
		if l.rows, err = fetch(ctx, p.sort, n, p.offset); err != nil {
			return l, err
		}
	}
	l.more = p.offset+len(l.rows) < l.total
	return l, nil
}

// reverse is the opposite order of a store's sort key: "-weight" for
// "weight" and the other way round.
func reverse(sort string) string {
	if rest, ok := strings.CutPrefix(sort, "-"); ok {
		return rest
	}
	return "-" + sort
}

// listSort is the order a list page uses: ?sort= when it is one of keys
// (or its descending form); otherwise, for a search, newest first, since
// a search reads the table in the order of its index and the id's is the
// table's own; otherwise the store's default, def.
func listSort(r *http.Request, keys []string, def string) string {
	if sort := allowedSort(r, keys); sort != "" {
		return sort
	}
	if search(r) != "" && slices.Contains(keys, "id") {
		return "-id"
	}
	return def
}
