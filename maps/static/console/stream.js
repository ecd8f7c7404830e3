// The live event stream (text/event-stream read with fetch; the session cookie goes along like on any request).
// Reconnects from the last event id it saw, so nothing is missed while the connection was down.
import { authorize, signInAgain } from "./api.js";

export function openStream({ onEvent, onState, after = null }) {
  let last = after;
  let stopped = false;
  let controller = null;

  function parse(chunk) {
    const event = { id: null, kind: "message", data: "" };
    for (const line of chunk.split("\n")) {
      if (line.startsWith("id:")) event.id = Number(line.slice(3).trim());
      else if (line.startsWith("event:")) event.kind = line.slice(6).trim();
      else if (line.startsWith("data:")) event.data += line.slice(5).trim();
    }
    return event;
  }

  async function connect() {
    controller = new AbortController();
    const url = "/api/v1/events" + (last !== null ? "?after=" + last : "");
    try {
      const response = await fetch(url, authorize({ signal: controller.signal, headers: { Accept: "text/event-stream" } }));
      if (response.status === 401) { signInAgain(); return; }
      if (!response.ok || !response.body) throw new Error("HTTP " + response.status);
      onState("on");
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended");
        buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, "\n");
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const event = parse(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
          if (event.id !== null) last = event.id;
          if (event.data) onEvent(event.kind, JSON.parse(event.data), event.id);
        }
      }
    } catch (err) {
      if (stopped) return;
      onState("retry");
      setTimeout(connect, 3000);
    }
  }
  connect();
  return { close() { stopped = true; if (controller) controller.abort(); } };
}
