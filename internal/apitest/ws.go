package apitest

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// WS is a websocket client of the realtime protocol, closed when the test
// ends.
type WS struct {
	*websocket.Conn
	t testing.TB
}

// Frame is any message the server sends: a reply (ID, OK, Data, Error),
// an event (Channel, Event, Seq, Data), or a lost notice (Channel, Lost).
type Frame struct {
	ID      json.RawMessage `json:"id"`
	OK      bool            `json:"ok"`
	Data    json.RawMessage `json:"data"`
	Error   *FrameError     `json:"error"`
	Channel string          `json:"channel"`
	Event   string          `json:"event"`
	Seq     uint64          `json:"seq"`
	Lost    *FramePosition  `json:"lost"`
}

// FramePosition is a channel's position in a subscribe reply's data or a
// lost notice.
type FramePosition struct {
	Epoch     string `json:"epoch"`
	Seq       uint64 `json:"seq"`
	Recovered *bool  `json:"recovered"`
}

// FrameError is a reply's error.
type FrameError struct {
	Code       string              `json:"code"`
	Message    string              `json:"message"`
	Fields     map[string][]string `json:"fields"`
	RetryAfter float64             `json:"retry_after"`
}

// Dial opens a websocket to path ("/ws?ticket=...") on srv with the given
// Authorization header ("" for none). It fails the test unless the upgrade
// succeeds; DialStatus is for upgrades meant to fail.
func Dial(t testing.TB, srv *Server, path, authorization string) *WS {
	t.Helper()
	return DialURL(t, srv.URL, path, authorization)
}

// DialURL is Dial to the server at base ("http://127.0.0.1:8001"), for a
// test that runs its servers as processes.
func DialURL(t testing.TB, base, path, authorization string) *WS {
	t.Helper()
	ws, status, err := dial(base, path, authorization)
	if err != nil {
		t.Fatalf("dial %s: status %d: %v", path, status, err)
	}
	t.Cleanup(func() { ws.Close() })
	return &WS{Conn: ws, t: t}
}

// DialStatus tries an upgrade that should be refused and returns the HTTP
// status and body of the refusal.
func DialStatus(t testing.TB, srv *Server, path, authorization string) (int, string) {
	t.Helper()
	return DialStatusURL(t, srv.URL, path, authorization)
}

// DialStatusURL is DialStatus to the server at base.
func DialStatusURL(t testing.TB, base, path, authorization string) (int, string) {
	t.Helper()
	ws, status, err := dial(base, path, authorization)
	if err == nil {
		ws.Close()
		t.Fatalf("dial %s: upgraded, want a refusal", path)
	}
	var body string
	var bad *badHandshake
	if errors.As(err, &bad) {
		body = bad.body
	}
	return status, body
}

type badHandshake struct {
	error
	body string
}

func dial(base, path, authorization string) (*websocket.Conn, int, error) {
	header := http.Header{}
	if authorization != "" {
		header.Set("Authorization", authorization)
	}
	url := "ws" + strings.TrimPrefix(base, "http") + path
	ws, resp, err := websocket.DefaultDialer.Dial(url, header)
	if resp == nil {
		return ws, 0, err
	}
	if err != nil {
		var b strings.Builder
		if resp.Body != nil {
			buf := make([]byte, 4096)
			n, _ := resp.Body.Read(buf)
			b.Write(buf[:n])
		}
		return nil, resp.StatusCode, &badHandshake{error: err, body: b.String()}
	}
	return ws, resp.StatusCode, nil
}

// Send writes a message: a string as is, anything else as JSON.
func (ws *WS) Send(msg any) {
	ws.t.Helper()
	var b []byte
	if s, ok := msg.(string); ok {
		b = []byte(s)
	} else {
		var err error
		if b, err = json.Marshal(msg); err != nil {
			ws.t.Fatal(err)
		}
	}
	if err := ws.WriteMessage(websocket.TextMessage, b); err != nil {
		ws.t.Fatalf("send %s: %v", b, err)
	}
}

// Read returns the next frame, failing the test if none comes within a
// generous deadline (a hang, not a timing check).
func (ws *WS) Read() Frame {
	ws.t.Helper()
	f, err := ws.ReadFrame()
	if err != nil {
		ws.t.Fatalf("read: %v", err)
	}
	return f
}

// ReadFrame is Read that returns the error (a *websocket.CloseError when
// the server closed the connection).
func (ws *WS) ReadFrame() (Frame, error) {
	ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, b, err := ws.ReadMessage()
	if err != nil {
		return Frame{}, err
	}
	var f Frame
	if err := json.Unmarshal(b, &f); err != nil {
		return Frame{}, errors.New("not JSON: " + string(b))
	}
	return f, nil
}

// Call sends a request and returns its reply, skipping events that arrive
// first.
func (ws *WS) Call(msg any) Frame {
	ws.t.Helper()
	ws.Send(msg)
	for {
		f := ws.Read()
		if f.Channel == "" {
			return f
		}
	}
}
