/**
 * Time as the server keeps it (docs/protocol.md §8): every round and duel payload carries
 * `server_now`, so the difference between the server's clock and ours is noted when it
 * arrives and every countdown is corrected for it. Kept apart from the state because it
 * depends on the moment a message arrived, which a pure reducer must not know.
 */
let serverOffset = 0; // server clock minus ours, in ms
const duelOffsets = {}; // duel id -> the same, when the duel was last sent

/** Our clock, in ms: one that a change of the device's clock does not move (network time
 * fixing it mid-round, or its owner), so the difference noted once stays true; a phone
 * whose clock was set right during a round showed 14:58 left while the wall showed 4:58.
 * Where it stands still while a device sleeps, waking asks for a fresh snapshot (main.js). */
const ourNow = () => performance.timeOrigin + performance.now();

/** Note the clock difference from a list of rounds (a snapshot, `agenda.changed`...). */
export function noteRounds(rounds) {
  const sample = (rounds || []).find((r) => r.server_now);
  if (sample) serverOffset = Date.parse(sample.server_now) - ourNow();
}

export function noteDuel(duel) {
  if (duel.server_now) duelOffsets[duel.id] = Date.parse(duel.server_now) - ourNow();
}

/** Whole seconds left in a round, or null when there is no timer to show. */
export function secondsLeft(round) {
  if (!round) return null;
  if (round.status === "paused") return round.remaining_seconds;
  if (round.status !== "running" || !round.ends_at) return null;
  return Math.max(0, Math.round((Date.parse(round.ends_at) - (ourNow() + serverOffset)) / 1000));
}

/** The round takes input now: running, and its time (if any) is not up. */
export function inputOpen(round) {
  if (!round || round.status !== "running") return false;
  const left = secondsLeft(round);
  return left === null || left > 0;
}

/** Why a round takes no input now, or null while it does: "paused", "time_up", "ended"
 * (also for a round that has not started). */
export function closedReason(round) {
  if (!round) return "ended";
  if (round.status === "paused") return "paused";
  if (round.status === "running") return inputOpen(round) ? null : "time_up";
  return "ended";
}

export function duelSecondsLeft(duel) {
  const offset = duelOffsets[duel.id] || 0;
  return Math.max(0, Math.ceil((Date.parse(duel.ends_at) - (ourNow() + offset)) / 1000));
}

/** 125 -> "2:05". */
export function clockText(seconds) {
  const m = Math.floor(seconds / 60);
  const s = String(seconds % 60).padStart(2, "0");
  return `${m}:${s}`;
}
