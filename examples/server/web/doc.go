// Package web is the example server's live demo page and gamekit's
// JavaScript client for the realtime protocol, embedded in the binary: plain
// HTML, CSS and JavaScript modules, no build step, nothing from a CDN.
//
// # The page
//
// index.html, app.js, social.js and style.css are the page at "/": sign in or register
// with the accounts API, then see every player on a board that moves as the
// players channel announces moves, with Move buttons on your own players, and
// a feed of the monsters channel and of your private user channel (gifts).
// The page never moves a player itself: it sends the new position and shows
// what the server answers, so a refused move is shown as refused.
//
// social.js adds two panels: a chat of the global room and of the user's
// direct messages (a Message button beside another's player starts one),
// and the board of moves made today, its top ten and the user's own rank.
// Both follow the server live: a room's channel ("chat.{id}"), the
// board's ("leaderboard.moves-today") and the user's own ("user.{id}":
// a DM begun, a rank changed). Players' words reach the page as text,
// never as HTML.
//
// # The client
//
// gamekit.js is an ES module exporting GameKit, a client any page can import
// from "/gamekit.js": it trades a bearer token for a single-use ticket,
// connects to /ws, matches replies to requests, keeps subscriptions across
// reconnections (with exponential backoff and jitter, and a fresh ticket each
// time) and resumes each channel where it stopped ("since"), tells the page
// to reload a channel's state only when the server cannot send what was
// missed, reports gaps in a channel's sequence numbers, and says in words why
// a connection closed. Its header comment documents the API.
//
// # Serving
//
// [Handler] serves the files with their content types, Cache-Control:
// no-cache and an ETag (so a reload revalidates and gets 304 when nothing
// changed), and a Content-Security-Policy that allows only the page's own
// scripts, styles and connections.
package web
