/**
 * The socket and its rules (docs/protocol.md §2, §11), and nothing else: it keeps the number
 * the state is current at, holds events back while a snapshot is awaited, asks for a fresh
 * snapshot (`state.sync`) when a number is missed, and keeps every command until it is
 * acknowledged, sending the safe ones again after a reconnect. What an event means is left
 * to its caller (the `sink`), so this module can be read against the protocol alone.
 */
import { SEQUENCED_EVENTS, PERSONAL_MESSAGES } from "./state.js";

// Commands that are safe to send twice: each carries an op_id the server applies once
// (vote.set and ballot.cast are also absolute and name their round).
const RESENDABLE = new Set(["proposal.submit", "comment.add", "vote.set", "ballot.cast"]);
const NO_ACK = { ok: false, error: { code: "no_ack", message: "" } };

/** A fresh random operation id (32 hex characters). */
export function newOpId() {
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes); // works on plain-http LAN addresses too
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Connect to a workshop. ``sink`` receives what the server says:
 * `snapshot(snapshot)` (replace everything), `event(name, event)` (the next numbered event),
 * `personal(name, payload)` (a message without a number), `settled()` (after a snapshot and
 * the events held back meanwhile, or after one live event: time to draw), `status(online)`,
 * and `unconfirmed` (the catalogue text for a command lost with the connection).
 */
export function connect({ workshopId, projector, sink, unconfirmed }) {
  const auth = projector ? { workshop_id: workshopId, audience: "projector" } : { workshop_id: workshopId };
  const socket = window.io({ auth });
  let seq = null; // the number our state is current at; null before the first snapshot
  let awaitingSnapshot = true; // events are held back until a snapshot is loaded
  let held = []; // [name, event] received meanwhile
  const pending = new Map(); // opId -> {name, payload, opId, resolve}

  function sendNow(cmd) {
    cmd.sent = true;
    socket.emit(cmd.name, cmd.payload, (ack) => {
      pending.delete(cmd.opId);
      cmd.resolve(ack || NO_ACK);
    });
  }

  socket.on("connect", () => {
    // No need to arm awaitingSnapshot here: socket.io-client delivers the snapshot sent by
    // the server's connect handler before this event fires.
    sink.status(true);
    for (const [, cmd] of pending) {
      // Never sent (given before the first connect, on a page drawn from its served
      // snapshot): send it now. Sent and lost with a connection: send again only if safe.
      if (!cmd.sent || RESENDABLE.has(cmd.name)) sendNow(cmd);
      else {
        pending.delete(cmd.opId);
        cmd.resolve({ ok: false, error: { code: "unconfirmed", message: unconfirmed } });
      }
    }
  });
  socket.on("disconnect", (reason) => {
    sink.status(false);
    awaitingSnapshot = true;
    // The server ended this screen because its login ended (a new password, "log out
    // everywhere"): connect again with the cookie this browser holds now. A login that still
    // holds is back at once; one that ended is refused (connect_error), and stays out.
    if (reason === "io server disconnect") socket.connect();
  });
  socket.on("connect_error", () => sink.status(false));

  /** Start from a snapshot, then replay what arrived meanwhile and is newer. */
  function load(snapshot) {
    seq = snapshot.seq;
    awaitingSnapshot = false;
    sink.snapshot(snapshot);
    const replay = held.sort((a, b) => a[1].seq - b[1].seq);
    held = [];
    for (const [name, event] of replay) receive(name, event, false);
    sink.settled();
  }
  socket.on("state.snapshot", load);

  /** Ask for a fresh snapshot (once at a time) after a missed event. */
  function resync() {
    if (awaitingSnapshot) return;
    awaitingSnapshot = true;
    socket.emit("state.sync", {}, (ack) => {
      if (ack && ack.ok) load(ack.snapshot);
      else awaitingSnapshot = false;
    });
  }

  /** Apply a numbered event in order; hold it while syncing; resync on a gap. */
  function receive(name, event, draw = true) {
    if (awaitingSnapshot || seq === null) { held.push([name, event]); return; }
    if (event.seq <= seq) return; // already part of our state
    if (event.seq !== seq + 1) {
      held.push([name, event]);
      resync();
      return;
    }
    seq = event.seq;
    sink.event(name, event);
    if (draw) sink.settled();
  }
  for (const name of SEQUENCED_EVENTS) socket.on(name, (event) => receive(name, event));
  for (const name of PERSONAL_MESSAGES) {
    socket.on(name, (payload) => sink.personal(name, payload));
  }

  return {
    resync,
    get connected() { return socket.connected; },
    /** Send a command; resolves with the server's acknowledgement (kept until then). */
    command(name, payload) {
      return new Promise((resolve) => {
        const cmd = { name, payload, opId: payload.op_id || newOpId(), resolve };
        pending.set(cmd.opId, cmd);
        if (socket.connected) sendNow(cmd);
      });
    },
    /** Send now or never (no resend): for marks the next snapshot restores anyway. */
    emitNow(name, payload) {
      if (!socket.connected) return Promise.resolve({ ok: true });
      return new Promise((resolve) => socket.emit(name, payload, (ack) => resolve(ack || NO_ACK)));
    },
  };
}
