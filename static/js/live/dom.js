/**
 * Small DOM tools every view shares, so that each view can keep its nodes and patch them
 * rather than rebuild them: `el` and `fill` build markup, `setText` and `needsRedraw` touch a
 * node only when what it shows changed (live regions then speak only real news), and
 * `syncChildren` / `keyed` reconcile a list by id, reusing the existing nodes and moving as
 * few as possible, so that what a person is typing, has selected or has focused survives
 * every live event. It also holds the one renderer of an inline difference (`diffNodes`),
 * used by amendments, stale consent notices and duels alike, and the string formatting of
 * the translated catalogue (`fmt`, `plural`), and the one way a view asks for words in a
 * dialog (`modal`), never the browser's prompt().
 */
import { $, T } from "./page.js";

/** Fill a catalogue string: "%(name)s" placeholders take ``values[name]``. */
export const fmt = (template, values) =>
  template.replace(/%\((\w+)\)s/g, (_, key) => String(values[key] ?? ""));

/** A number as the page's language writes it: "2,92" in Dutch, "3" rather than "3.0". */
export function decimal(number, maximumFractionDigits = 2) {
  return Number(number).toLocaleString(document.documentElement.lang || undefined, { maximumFractionDigits });
}

/** "1 dot" / "2 dots": the right form of a {one, other} pair for a count. */
export function plural(forms, n) {
  return fmt(n === 1 ? forms.one : forms.other, { n });
}

/** Build an element: ``props`` are attributes, plus `class`, `text` and `on<event>` handlers. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else if (value !== false && value != null) node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c != null));
  return node;
}

/** Replace a node's children, skipping the optional parts that are absent (null). */
export const fill = (node, ...children) => node.replaceChildren(...children.filter((c) => c != null));

/** Set a node's text only when it changes: live regions then speak only real news. */
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/** Set or remove an attribute, only when it changes. */
export function setAttr(node, name, value) {
  if (value == null || value === false) {
    if (node.hasAttribute(name)) node.removeAttribute(name);
  } else {
    const text = value === true ? "" : String(value);
    if (node.getAttribute(name) !== text) node.setAttribute(name, text);
  }
}

/** Redraw a part only when the data it shows changed (remembered on the node). */
export function needsRedraw(node, data) {
  const key = JSON.stringify(data);
  if (node._drawn === key) return false;
  node._drawn = key;
  return true;
}

/** The first of ``nodes`` a person can act on now: on the page, shown and not disabled. */
export const firstUsable = (nodes) =>
  nodes.find((node) => node && node.isConnected && !node.disabled && !node.closest("[hidden]")) || null;

/** When ``had`` had the focus and is now disabled or gone, give the focus to the first of
 * ``fallbacks`` that is usable: a keyboard or screen-reader user's place is then next to
 * where it was, not dropped on <body> (where the next Tab starts from the top). */
export function keepFocusNear(had, fallbacks) {
  if (!had || (had.isConnected && !had.disabled)) return;
  const now = document.activeElement;
  if (now && now !== document.body && now !== had) return; // the person went elsewhere meanwhile
  const target = firstUsable(fallbacks);
  if (target) target.focus({ preventScroll: true });
}

/** Put exactly ``wanted`` in ``parent``, in order, moving as little as possible (a moved
 * node would lose the focus of a field inside it, so the focus is given back). With
 * ``refocus``, a focused child that is no longer wanted passes the focus to the child now in
 * its place (else the one before it), as a row of tools where the one pressed goes away. */
export function syncChildren(parent, wanted, { refocus = false } = {}) {
  const active = document.activeElement;
  const keep = new Set(wanted);
  const at = refocus && active && active.parentElement === parent && !keep.has(active)
    ? [...parent.children].filter((child) => keep.has(child) || child === active).indexOf(active) : -1;
  for (const child of [...parent.children]) if (!keep.has(child)) child.remove();
  wanted.forEach((child, i) => {
    if (parent.children[i] !== child) parent.insertBefore(child, parent.children[i] || null);
  });
  if (active && active !== document.activeElement && parent.contains(active)) {
    active.focus({ preventScroll: true });
  }
  if (at !== -1) keepFocusNear(active, [parent.children[at], ...[...parent.children].slice(0, at).reverse()]);
}

/**
 * Reconcile ``parent``'s children with ``items`` by key: an item seen before keeps its view
 * (and its DOM node, with whatever is typed or focused in it); a new one gets a view from
 * ``create(item)``; views of items that are gone are dropped. ``update(view, item, index)``
 * patches a view; each view has a `node`. ``empty`` (a node) is shown when there is no item,
 * and ``tail`` (nodes) after the items. The views are remembered on the parent, so each
 * list keeps its own.
 */
export function keyed(parent, items, { key, create, update, empty = null, tail = [] }) {
  const views = parent._views || (parent._views = new Map());
  const present = new Set(items.map(key));
  for (const [k, view] of views) {
    if (present.has(k)) continue;
    view.node.remove(); // before the others are patched, so ids and radio groups never clash
    views.delete(k);
  }
  const nodes = items.map((item, index) => {
    const k = key(item);
    let view = views.get(k);
    if (!view) {
      view = create(item);
      views.set(k, view);
    }
    update(view, item, index);
    return view.node;
  });
  syncChildren(parent, [...(nodes.length || !empty ? nodes : [empty]), ...tail]);
  return views;
}

let serial = 0;
/** A number for element ids that must be unique on the page. */
export const nextSerial = () => ++serial;

/** An inline difference; screen readers hear "removed" and "added" before the changed words. */
export function diffNodes(diff) {
  const pieces = diff || [];
  return pieces.flatMap((piece, i) => {
    if (piece.op === "equal") return [piece.text];
    const tag = piece.op === "insert" ? "ins" : "del";
    const node = el(tag, {}, el("span", { class: "visually-hidden",
      text: (piece.op === "insert" ? T.diff_added : T.diff_removed) + " " }), piece.text);
    // Words replaced: a space between the struck words and the new ones ("kind warm", not
    // "kindwarm"), unless the text already has one there.
    const next = pieces[i + 1];
    const apart = tag === "del" && next && next.op === "insert"
      && !/\s$/.test(piece.text) && !/^\s/.test(next.text);
    return apart ? [node, " "] : [node];
  });
}

/** A clause's difference without its unchanged heading line (the heading is shown above). */
export function withoutHeading(diff) {
  const pieces = [...(diff || [])];
  if (pieces.length && pieces[0].op === "equal") {
    const text = pieces[0].text.replace(/^#{1,3}[ \t][^\n]*\n+/, "");
    pieces[0] = { op: "equal", text };
  }
  return pieces;
}

/**
 * A native modal dialog of the page (its markup is in the template, labelled by its heading;
 * buttons marked `data-close-dialog` close it): opened from a button, closed by Escape,
 * Cancel or its own success; the focus then goes back to the button that opened it or, when
 * that button is gone (the card changed meanwhile), to the first of ``fallback()`` that is
 * still on the page. Null when the page has no such dialog (another role's page).
 */
export function modal(id) {
  const dialog = $(`#${id}`);
  if (!dialog) return null;
  let opener = null;
  let fallback = () => [];
  for (const button of dialog.querySelectorAll("[data-close-dialog]")) {
    button.addEventListener("click", () => dialog.close());
  }
  dialog.addEventListener("close", () => {
    const target = [opener, ...fallback()].find((node) => node && node.isConnected && !node.closest("[hidden]"));
    opener = null;
    if (target) {
      if (!target.matches("button, input, select, textarea, a[href]")) target.setAttribute("tabindex", "-1");
      target.focus();
    }
  });
  return {
    dialog,
    get open() { return dialog.open; },
    show(from, first, back = () => []) {
      opener = from;
      fallback = back;
      dialog.showModal();
      if (first) first.focus();
    },
    close() { dialog.close(); },
  };
}

/** The text of server-rendered (sanitised) HTML, cut to ``limit`` characters. */
export function plainText(html, limit = 80) {
  const div = document.createElement("div");
  div.innerHTML = html; // sanitised on the server
  const text = div.textContent.trim();
  return text.length > limit ? text.slice(0, limit - 1) + "…" : text;
}

/** Put server-rendered (sanitised) HTML in a node, only when it changed. */
export function setHTML(node, html) {
  if (needsRedraw(node, html)) node.innerHTML = html; // sanitised on the server
}
