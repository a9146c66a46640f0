// Many live streams on one instance: opens N idle `/chat/events` streams of one signed-in user
// (each like a browser tab), reads the server's RSS before and with them, then sends M messages one
// at a time and records, for every stream, when each message arrived. Prints the time to open the
// streams, RSS, the send rate with the streams attached, and the fan-out latency (send start to
// arrival on a stream) over all N x M deliveries, p50/p99/max, plus streams that missed a message.
//
// Usage: node bench/chat-streams.mjs URL SERVER_PID [--streams N] [--messages M]
// (bench/chat-streams.sh starts the release server and raises the open-file limit.)
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import http from "node:http";

const require = createRequire(new URL("../end2end/package.json", import.meta.url));
const { request } = require("@playwright/test");

const [base, pid] = process.argv.slice(2, 4);
const option = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const streams = option("--streams", 5000);
const messages = option("--messages", 50);
const now = () => performance.timeOrigin + performance.now();
const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;
const percentile = (values, p) => {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

const api = await request.newContext({ baseURL: base });
const signup = await api.post("/api/signup", {
  form: { name: "Streams", email: `streams-${Date.now()}@example.com`, password: "streams lantern harbour" },
  maxRedirects: 0,
});
if (signup.status() >= 400) throw new Error(`sign-up: ${signup.status()} ${await signup.text()}`);
const cookie = (await api.storageState()).cookies.map((c) => `${c.name}=${c.value}`).join("; ");
const strategy = await api.post("/api/create_strategy", {
  form: { name: "Streams persona", creativity: "5", reply_delay_min: "0", reply_delay_max: "0" },
});
const client = await (await api.post("/api/create_client", {
  form: { name: "Sam Streams", strategy_id: String((await strategy.json()).id) },
})).json();

const idle = rssMiB();
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
const sendTimes = new Map();
const arrivals = [];
const received = new Array(streams).fill(0);
const openStarted = now();
await Promise.all(
  Array.from({ length: streams }, (_, index) =>
    new Promise((resolve, reject) => {
      const req = http.get(`${base}/chat/events`, { agent, headers: { cookie, accept: "text/event-stream" } }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`stream ${index}: ${res.statusCode}`));
        res.setEncoding("utf8");
        let buffer = "";
        res.on("data", (chunk) => {
          buffer += chunk;
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const event = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const marker = /fanout (\d+)/.exec(event);
            if (marker && event.includes("event: message")) {
              received[index] += 1;
              arrivals.push(now() - sendTimes.get(Number(marker[1])));
            }
          }
        });
        resolve();
      });
      req.on("error", reject);
    }),
  ),
);
const openMs = now() - openStarted;
await new Promise((resolve) => setTimeout(resolve, 1000));
const withStreams = rssMiB();

const sendStarted = now();
for (let i = 0; i < messages; i++) {
  sendTimes.set(i, now());
  const response = await api.post("/api/send_chat_message", { form: { client_id: String(client), body: `fanout ${i}` } });
  if (response.status() >= 400) throw new Error(`send: ${response.status()} ${await response.text()}`);
}
const sendSeconds = (now() - sendStarted) / 1000;
const deadline = now() + 60_000;
while (arrivals.length < streams * messages && now() < deadline) await new Promise((r) => setTimeout(r, 50));
const fanoutMs = now() - sendStarted;
const peak = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;
const incomplete = received.filter((count) => count < messages).length;

console.log(`\n${streams} streams of one user, ${messages} messages sent one at a time\n`);
console.log("| Figure | Value |");
console.log("|---|---:|");
console.log(`| time to open the streams | ${(openMs / 1000).toFixed(1)} s |`);
console.log(`| RSS idle / with the streams / peak | ${idle.toFixed(1)} / ${withStreams.toFixed(1)} / ${peak.toFixed(1)} MiB |`);
console.log(`| memory per idle stream | ${(((withStreams - idle) * 1024) / streams).toFixed(1)} KiB |`);
console.log(`| send rate with the streams attached | ${(messages / sendSeconds).toFixed(1)} messages/s |`);
console.log(`| all deliveries done after | ${(fanoutMs / 1000).toFixed(1)} s (${arrivals.length} of ${streams * messages}) |`);
console.log(`| deliveries per second (every stream gets every message) | ${Math.round(arrivals.length / (fanoutMs / 1000))} |`);
console.log(`| delivery latency p50 / p99 / max | ${percentile(arrivals, 50).toFixed(0)} / ${percentile(arrivals, 99).toFixed(0)} / ${arrivals.reduce((a, b) => Math.max(a, b), 0).toFixed(0)} ms |`);
console.log(`| streams that missed a message (dropped as too slow) | ${incomplete} |`);
agent.destroy();
await api.dispose();
process.exit(0);
