#!/usr/bin/env node
// Validating Beacon API proxy for the Lodestar interop harness.
//
// Forwards every HTTP request to a target (a beacon node, or a Phalanx validator API) and validates the
// request (path/query parameters, JSON body) and the response (status, JSON body) against the official
// Beacon API OpenAPI spec (ethereum/beacon-APIs, fully dereferenced bundles in /work/shared/beacon-apis/).
// `oneOf` is treated as `anyOf`: the per-fork block schemas do not set additionalProperties:false, so a
// block matches several branches. /eth/v1/events is streamed through unbuffered; each server-sent event
// is checked for a requested topic and a JSON `data` line.
//
// Violations are appended as JSON lines to --violations; every exchange is appended to --traffic (method,
// route, query keys and their encoding, content types, consensus-version headers, status, duration), which
// is what docs/interop.md's endpoint inventory is built from.
//
// Usage: node proxy.mjs --listen 127.0.0.1:19596 --target http://127.0.0.1:9596 \
//          [--spec v2.4.2|HEAD|/path/to/oapi.json] [--name bn] [--violations v.jsonl] [--traffic t.jsonl]
//          [--capture DIR] [--strict]
//        node proxy.mjs --self-test [--spec …]     (checks the validator on known good and bad values)
//        node proxy.mjs --replay DIR [--spec …] [--strict]   (validates exchanges saved by --capture)
// --strict: object schemas without `required` require all their properties (except execution_optimistic,
// finalized, stacktraces); the bundled spec rarely marks fields required.
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { URL } from "node:url";
import Ajv from "ajv";

const kSpecDir = process.env.PHX_BEACON_APIS_DIR ?? "/work/shared/beacon-apis";

function parse_args(argv) {
  const args = { spec: "v2.4.2", name: "proxy", violations: null, traffic: null, listen: null, target: null,
                 selfTest: false, capture: null };
  for (let i = 2; i < argv.length; ++i) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`missing value after ${a}`);
      return argv[++i];
    };
    if (a === "--listen") args.listen = next();
    else if (a === "--target") args.target = next();
    else if (a === "--spec") args.spec = next();
    else if (a === "--name") args.name = next();
    else if (a === "--violations") args.violations = next();
    else if (a === "--traffic") args.traffic = next();
    else if (a === "--capture") args.capture = next();
    else if (a === "--self-test") args.selfTest = true;
    else if (a === "--replay") args.replay = next();
    else if (a === "--strict") args.strict = true;
    else if (a === "--patch-genesis-fork-version") args.patchGenesisFork = next();
    else if (a === "--patch-drop-far-future-forks") args.patchFarFuture = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

function load_spec(which) {
  const file = which.endsWith(".json") ? which : path.join(kSpecDir, `beacon-node-oapi-${which}.json`);
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

// Deep copy of a schema with every `oneOf` renamed to `anyOf` and OpenAPI-only keywords dropped.
function to_json_schema(node) {
  if (Array.isArray(node)) return node.map(to_json_schema);
  if (node === null || typeof node !== "object") return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "example" || k === "examples" || k === "xml" || k === "externalDocs" || k === "deprecated" ||
        k === "readOnly" || k === "writeOnly" || k === "discriminator" || k.startsWith("x-")) continue;
    if (k === "nullable") continue;  // handled below
    out[k === "oneOf" ? "anyOf" : k] = to_json_schema(v);
  }
  if (node.nullable === true && out.type !== undefined) out.type = [].concat(out.type, "null");
  // --strict: an object schema without `required` requires all its properties except the optional metadata
  // that servers legitimately omit. The bundled spec rarely says `required`, so without this a response
  // missing e.g. `dependent_root` would pass.
  if (strictRequired && out.properties && !out.required && out.type === "object") {
    const req = Object.keys(out.properties).filter((k) => !kOptionalProps.has(k));
    if (req.length) out.required = req;
  }
  return out;
}
let strictRequired = false;
const kOptionalProps = new Set(["execution_optimistic", "finalized", "stacktraces", "dependent_root_optional"]);

class Validator {
  constructor(spec) {
    this.spec = spec;
    this.ajv = new Ajv({ strict: false, allErrors: false, validateFormats: true });
    this.ajv.addFormat("hex", /^0x[a-fA-F0-9]*$/);
    this.cache = new Map();
    this.routes = [];
    for (const [template, item] of Object.entries(spec.paths)) {
      const names = [];
      const re = new RegExp("^" + template.replace(/[.]/g, "\\.").replace(/\{([^}]+)\}/g, (_, n) => {
        names.push(n);
        return "([^/]+)";
      }) + "/?$");
      // Literal segments first: /eth/v1/beacon/headers/{block_id} must not shadow a literal route.
      const literal = template.split("/").filter((s) => !s.startsWith("{")).length;
      this.routes.push({ template, item, re, names, literal });
    }
    this.routes.sort((a, b) => b.literal - a.literal);
  }

  match(method, pathname) {
    for (const r of this.routes) {
      const m = r.re.exec(pathname);
      if (!m) continue;
      const op = r.item[method.toLowerCase()];
      const params = {};
      r.names.forEach((n, i) => { params[n] = decodeURIComponent(m[i + 1]); });
      return { template: r.template, op: op ?? null, params, pathItem: r.item };
    }
    return null;
  }

  compile(key, schema) {
    let fn = this.cache.get(key);
    if (!fn) {
      fn = this.ajv.compile(to_json_schema(schema));
      this.cache.set(key, fn);
    }
    return fn;
  }

  check(key, schema, value) {
    const fn = this.compile(key, schema);
    if (fn(value)) return null;
    return (fn.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || "/"} ${e.message}` +
      (e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ""));
  }

  // Returns a list of {where, errors} for the request line and body.
  check_request(route, method, url, contentType, body) {
    const out = [];
    const op = route.op;
    const params = [...(route.pathItem.parameters ?? []), ...(op.parameters ?? [])];
    for (const p of params) {
      const key = `${route.template} ${method} param ${p.in}.${p.name}`;
      let value;
      if (p.in === "path") value = route.params[p.name];
      else if (p.in === "query") {
        const all = url.searchParams.getAll(p.name);
        if (all.length === 0) value = undefined;
        else if (p.schema?.type === "array") value = all.flatMap((v) => v.split(","));
        else value = all[all.length - 1];
      } else continue;  // headers/cookies: not checked
      if (value === undefined) {
        if (p.required) out.push({ where: `request.${p.in}.${p.name}`, errors: ["required parameter missing"] });
        continue;
      }
      if (p.schema) {
        let v = value;
        const t = p.schema.type;
        if (t === "integer" || t === "number") v = Number(value);
        if (t === "boolean") v = value === "" ? true : value === "true" ? true : value === "false" ? false : value;
        const errs = this.check(key, p.schema, v);
        if (errs) out.push({ where: `request.${p.in}.${p.name}`, errors: errs, value: String(value).slice(0, 200) });
      }
    }
    const rb = op.requestBody;
    if (rb) {
      const ct = (contentType ?? "").split(";")[0].trim().toLowerCase();
      if (body.length === 0) {
        if (rb.required) out.push({ where: "request.body", errors: ["required body missing"] });
      } else if (ct === "application/json" || ct === "") {
        const media = rb.content?.["application/json"];
        if (!media) out.push({ where: "request.body", errors: ["JSON body not accepted by this operation"] });
        else {
          let json;
          try { json = JSON.parse(body.toString("utf8")); } catch (e) {
            out.push({ where: "request.body", errors: [`invalid JSON: ${e.message}`] });
          }
          if (json !== undefined && media.schema) {
            const errs = this.check(`${route.template} ${method} body`, media.schema, json);
            if (errs) out.push({ where: "request.body", errors: errs });
          }
        }
      } else if (!rb.content?.[ct]) {
        out.push({ where: "request.body", errors: [`content type ${ct} not accepted by this operation`] });
      }
    }
    return out;
  }

  check_response(route, method, status, contentType, body) {
    const out = [];
    const responses = route.op.responses ?? {};
    const resp = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
    if (!resp) {
      out.push({ where: "response.status", errors: [`status ${status} not documented (documented: ${Object.keys(responses).join(",")})`] });
      return out;
    }
    const ct = (contentType ?? "").split(";")[0].trim().toLowerCase();
    if (body.length === 0) {
      if (resp.content && Object.keys(resp.content).length > 0 && status !== 204)
        out.push({ where: "response.body", errors: ["empty body where the spec documents content"] });
      return out;
    }
    if (ct === "application/json") {
      const media = resp.content?.["application/json"];
      let json;
      try { json = JSON.parse(body.toString("utf8")); } catch (e) {
        out.push({ where: "response.body", errors: [`invalid JSON: ${e.message}`] });
        return out;
      }
      if (!media) {
        if (resp.content) out.push({ where: "response.content-type", errors: ["JSON not documented for this status"] });
        return out;
      }
      if (media.schema) {
        const errs = this.check(`${route.template} ${method} ${status} resp`, media.schema, json);
        if (errs) out.push({ where: "response.body", errors: errs });
      }
    } else if (resp.content && !resp.content[ct]) {
      out.push({ where: "response.content-type", errors: [`content type '${ct}' not documented for status ${status}`] });
    }
    return out;
  }
}

// Validator indices named in a submission body (for per-validator checks on what the BN accepted).
const kIndexOf = {
  submitPoolSyncCommitteeSignatures: (x) => x.validator_index,
  publishAggregateAndProofs: (x) => x.message?.aggregator_index,
  publishAggregateAndProofsV2: (x) => x.message?.aggregator_index,
  submitPoolAttestationsV2: (x) => x.validator_index ?? x.attester_index,
  publishContributionAndProofs: (x) => x.message?.aggregator_index,
  publishBlock: (x) => x.message?.proposer_index,
  publishBlindedBlock: (x) => x.message?.proposer_index,
  submitPoolVoluntaryExit: (x) => x.message?.validator_index,
};
// Slots named in a submission body (aggregates and contributions: which slot's aggregation reached the BN).
const kSlotOf = {
  publishAggregateAndProofs: (x) => x.message?.aggregate?.data?.slot,
  publishAggregateAndProofsV2: (x) => x.message?.aggregate?.data?.slot,
  publishContributionAndProofs: (x) => x.message?.contribution?.slot,
};
function body_slots(operation, body) {
  const f = kSlotOf[operation];
  if (!f || body.length === 0) return undefined;
  try {
    const j = JSON.parse(body.toString("utf8"));
    return (Array.isArray(j) ? j : [j]).map(f).filter((v) => v !== undefined).map(String);
  } catch { return undefined; }
}
function body_indices(operation, body) {
  const f = kIndexOf[operation];
  if (!f || body.length === 0) return undefined;
  try {
    const j = JSON.parse(body.toString("utf8"));
    return (Array.isArray(j) ? j : [j]).map(f).filter((v) => v !== undefined).map(String);
  } catch { return undefined; }
}

function jsonl_writer(file) {
  if (!file) return () => {};
  const fd = fs.openSync(file, "a");
  return (obj) => fs.writeSync(fd, JSON.stringify(obj) + "\n");
}

// Query parameter encoding as the client sent it (for the endpoint inventory).
function query_shape(url) {
  const shape = {};
  for (const k of new Set(url.searchParams.keys())) {
    const all = url.searchParams.getAll(k);
    shape[k] = all.length > 1 ? "repeated" : all[0].includes(",") ? "comma" : "single";
  }
  return shape;
}

const kHopByHop = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te",
                           "trailer", "content-length"]);

function copy_headers(h) {
  const out = {};
  for (const [k, v] of Object.entries(h)) if (!kHopByHop.has(k.toLowerCase())) out[k] = v;
  return out;
}

function run_proxy(args) {
  const spec = load_spec(args.spec);
  const v = new Validator(spec);
  // A client written for the current spec may call a newer endpoint first and fall back to the older form
  // when the node answers 404 (Phalanx's BN client does, once per route): a route missing from --spec but
  // present in HEAD is validated against HEAD, and its 404 answer is logged as a probe, not a violation.
  const newer = args.spec === "HEAD" ? null : new Validator(load_spec("HEAD"));
  const violation = jsonl_writer(args.violations);
  const traffic = jsonl_writer(args.traffic);
  const target = new URL(args.target);
  const [host, port] = args.listen.split(":");
  let count = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  // --capture DIR: the first exchange per (operation, status) is saved as DIR/<operation>-<status>.json
  // (request line, headers, bodies) — sample traffic for docs and for the validator API's tests.
  const captured = new Set();
  if (args.capture) fs.mkdirSync(args.capture, { recursive: true });
  const capture = (op, status, obj) => {
    if (!args.capture || !op) return;
    const key = `${op}-${status}`;
    if (captured.has(key)) return;
    captured.add(key);
    fs.writeFileSync(path.join(args.capture, `${key}.json`), JSON.stringify(obj, null, 1) + "\n");
  };
  const as_json_or_text = (buf) => {
    const t = buf.toString("utf8");
    try { return JSON.parse(t); } catch { return t.length > 4096 ? t.slice(0, 4096) + "…" : t; }
  };

  const server = http.createServer((req, res) => {
    const t0 = Date.now();
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url, "http://x");
      let val = v;
      let route = v.match(req.method, url.pathname);
      if ((!route || !route.op) && newer) {
        const r2 = newer.match(req.method, url.pathname);
        if (r2 && r2.op) { route = r2; val = newer; }
      }
      const fromNewer = val !== v;
      const base = { proxy: args.name, method: req.method, path: url.pathname, route: route?.template ?? null,
                     operation: route?.op?.operationId ?? null, ...(fromNewer ? { spec: "HEAD" } : {}) };
      const report = (list) => {
        for (const item of list) {
          violation({ ts: new Date().toISOString(), ...base, ...item });
          ++count;
        }
      };
      if (!route || !route.op) {
        report([{ where: "request.route", errors: [route ? `method ${req.method} not in spec for ${route.template}` : "path not in spec"] }]);
      } else {
        try { report(val.check_request(route, req.method, url, req.headers["content-type"], body)); } catch (e) {
          report([{ where: "request", errors: [`validator error: ${e.message}`] }]);
        }
      }
      const isEvents = url.pathname === "/eth/v1/events";
      const headers = copy_headers(req.headers);
      headers.host = target.host;
      if (body.length > 0) headers["content-length"] = String(body.length);
      const up = http.request({ host: target.hostname, port: target.port, method: req.method,
                                path: url.pathname + url.search, headers, agent: isEvents ? undefined : agent },
        (upRes) => {
          const rh = copy_headers(upRes.headers);
          const entry = { ts: new Date(t0).toISOString(), ...base, query: query_shape(url),
                          req_content_type: req.headers["content-type"] ?? null, accept: req.headers.accept ?? null,
                          req_consensus_version: req.headers["eth-consensus-version"] ?? null,
                          req_body_bytes: body.length, indices: body_indices(base.operation, body),
                          slots: body_slots(base.operation, body),
                          status: upRes.statusCode,
                          resp_content_type: upRes.headers["content-type"] ?? null,
                          resp_consensus_version: upRes.headers["eth-consensus-version"] ?? null };
          if (isEvents) {
            // Stream: forward each chunk immediately, check the SSE framing on the side.
            res.writeHead(upRes.statusCode, rh);
            res.flushHeaders();
            traffic({ ...entry, stream: true });
            const topics = new Set(url.searchParams.getAll("topics").flatMap((s) => s.split(",")));
            let buf = "";
            upRes.on("data", (c) => {
              res.write(c);
              buf += c.toString("utf8");
              let idx;
              while ((idx = buf.indexOf("\n\n")) >= 0) {
                const block = buf.slice(0, idx);
                buf = buf.slice(idx + 2);
                let ev = "message";
                let data = "";
                for (const line of block.split("\n")) {
                  if (line.startsWith("event:")) ev = line.slice(6).trim();
                  else if (line.startsWith("data:")) data += line.slice(5).trim();
                }
                if (data === "" && block.trim().startsWith(":")) continue;  // comment / keep-alive
                const errs = [];
                if (!topics.has(ev)) errs.push(`event '${ev}' was not requested (topics: ${[...topics].join(",")})`);
                try { JSON.parse(data); } catch (e) { errs.push(`event data is not JSON: ${e.message}`); }
                if (errs.length) report([{ where: "response.event", errors: errs }]);
              }
            });
            upRes.on("end", () => res.end());
            res.on("close", () => upRes.destroy());
            return;
          }
          const rc = [];
          upRes.on("data", (c) => rc.push(c));
          upRes.on("end", () => {
            let rbody = Buffer.concat(rc);
            // DIAGNOSTIC ONLY (run.sh INTEROP_WORKAROUNDS=genesis-fork-version): replace Lodestar's /genesis
            // genesis_fork_version (the state's current fork) by the spec's GENESIS_FORK_VERSION, to look past
            // that known incompatibility; run.sh then fails the run on purpose.
            if (args.patchGenesisFork && url.pathname === "/eth/v1/beacon/genesis" && upRes.statusCode === 200) {
              try {
                const j = JSON.parse(rbody.toString("utf8"));
                j.data.genesis_fork_version = args.patchGenesisFork;
                rbody = Buffer.from(JSON.stringify(j));
              } catch { /* leave it */ }
            }
            // DIAGNOSTIC ONLY (INTEROP_WORKAROUNDS=fork-schedule): drop unscheduled (epoch 2^64-1) forks from
            // /eth/v1/config/fork_schedule (Lodestar 1.5.1 lists EIP4844 there, named so in /config/spec).
            if (args.patchFarFuture && url.pathname === "/eth/v1/config/fork_schedule" && upRes.statusCode === 200) {
              try {
                const j = JSON.parse(rbody.toString("utf8"));
                j.data = j.data.filter((f) => f.epoch !== "18446744073709551615");
                rbody = Buffer.from(JSON.stringify(j));
              } catch { /* leave it */ }
            }
            // A probe: a newer endpoint's 404/405, or a 404 from the node's router for a route it does not serve
            // at all (fastify: "Route POST:/eth/v2/beacon/blocks not found"; Lodestar 1.5.1 lacks
            // produceBlockV3 and publishBlockV2 although spec v2.4.2 lists them).
            const routeMissing = upRes.statusCode === 404 &&
                                 /^\{"message":"Route [A-Z]+:\S+ not found"/.test(rbody.toString("utf8"));
            const probe = (fromNewer && (upRes.statusCode === 404 || upRes.statusCode === 405)) || routeMissing;
            if (route && route.op && !probe) {
              try { report(val.check_response(route, req.method, upRes.statusCode, upRes.headers["content-type"], rbody)); } catch (e) {
                report([{ where: "response", errors: [`validator error: ${e.message}`] }]);
              }
            }
            const failed = upRes.statusCode >= 400;
            traffic({ ...entry, resp_body_bytes: rbody.length, ms: Date.now() - t0, ...(probe ? { probe: true } : {}),
                      ...(failed ? { error_body: rbody.toString("utf8").slice(0, 600) } : {}) });
            capture(base.operation, upRes.statusCode, {
              request: { method: req.method, url: req.url, headers: req.headers, body: body.length ? as_json_or_text(body) : null },
              response: { status: upRes.statusCode, headers: upRes.headers, body: rbody.length ? as_json_or_text(rbody) : null } });
            rh["content-length"] = String(rbody.length);
            res.writeHead(upRes.statusCode, rh);
            res.end(rbody);
          });
        });
      up.on("error", (e) => {
        traffic({ ts: new Date(t0).toISOString(), ...base, status: 502, error: e.message, ms: Date.now() - t0 });
        if (!res.headersSent) {
          res.writeHead(502, { "content-type": "application/json" });
          res.end(JSON.stringify({ code: 502, message: `proxy: upstream error: ${e.message}` }));
        } else res.destroy();
      });
      // Not req.on("close"): node emits it once the request body is read, not when the client leaves.
      res.on("close", () => { if (isEvents) up.destroy(); });
      up.end(body);
    });
  });
  server.keepAliveTimeout = 60000;
  server.listen(Number(port), host, () => {
    process.stdout.write(`proxy ${args.name}: ${args.listen} -> ${args.target} (spec ${args.spec}, ${Object.keys(spec.paths).length} paths)\n`);
  });
  const stop = () => {
    process.stdout.write(`proxy ${args.name}: ${count} violations\n`);
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

// Validates captured exchanges (files written by --capture) against the chosen spec; returns the violations.
function replay(validator, dir) {
  const found = [];
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith(".json")).sort()) {
    const x = JSON.parse(fs.readFileSync(path.join(dir, name), "utf8"));
    const url = new URL(x.request.url, "http://x");
    const route = validator.match(x.request.method, url.pathname);
    const add = (list) => list.forEach((v) => found.push({ file: name, operation: route?.op?.operationId ?? null, ...v }));
    if (!route || !route.op) { add([{ where: "request.route", errors: ["not in spec"] }]); continue; }
    const enc = (b) => (b === null ? Buffer.alloc(0) : Buffer.from(typeof b === "string" ? b : JSON.stringify(b)));
    add(validator.check_request(route, x.request.method, url, x.request.headers["content-type"], enc(x.request.body)));
    add(validator.check_response(route, x.request.method, x.response.status,
                                 x.response.headers["content-type"], enc(x.response.body)));
  }
  return found;
}

// Checks that the validator accepts real-shaped data and rejects broken data (guards against a proxy that
// silently validates nothing, e.g. because of a wrong route match or a schema that compiles to `true`).
function self_test(args) {
  const v = new Validator(load_spec(args.spec));
  let failed = 0;
  const expect = (name, cond) => {
    process.stdout.write(`${cond ? "ok  " : "FAIL"} ${name}\n`);
    if (!cond) ++failed;
  };
  const att = v.match("GET", "/eth/v1/validator/attestation_data");
  expect("route attestation_data", att?.op?.operationId === "produceAttestationData");
  const good = { data: { slot: "1", index: "0", beacon_block_root: "0x" + "ab".repeat(32),
    source: { epoch: "0", root: "0x" + "00".repeat(32) }, target: { epoch: "0", root: "0x" + "cd".repeat(32) } } };
  expect("good attestation data accepted", v.check_response(att, "GET", 200, "application/json", Buffer.from(JSON.stringify(good))).length === 0);
  const bad = structuredClone(good);
  bad.data.beacon_block_root = "0x1234";
  expect("short root rejected", v.check_response(att, "GET", 200, "application/json", Buffer.from(JSON.stringify(bad))).length === 1);
  const bad2 = structuredClone(good);
  bad2.data.slot = 1;
  expect("numeric slot rejected", v.check_response(att, "GET", 200, "application/json", Buffer.from(JSON.stringify(bad2))).length === 1);
  const url = new URL("http://x/eth/v1/validator/attestation_data?committee_index=0");
  expect("missing slot rejected", v.check_request(att, "GET", url, undefined, Buffer.alloc(0)).length === 1);
  expect("undocumented status flagged", v.check_response(att, "GET", 418, "application/json", Buffer.from("{}")).length === 1);
  const hdr = v.match("GET", "/eth/v1/beacon/headers");
  expect("literal route /eth/v1/beacon/headers", hdr?.template === "/eth/v1/beacon/headers");
  const duties = v.match("POST", "/eth/v1/validator/duties/attester/3");
  expect("path param epoch", duties?.params?.epoch === "3");
  expect("attester duties body ok", v.check_request(duties, "POST", new URL("http://x/"), "application/json", Buffer.from('["1","2"]')).length === 0);
  expect("attester duties numeric body rejected", v.check_request(duties, "POST", new URL("http://x/"), "application/json", Buffer.from("[1,2]")).length === 1);
  expect("unknown path unmatched", v.match("GET", "/eth/v9/nothing") === null);
  // Real Lodestar 1.5.1 VC <-> BN traffic (fixtures): under v2.4.2 the only finding is the VC's text graffiti.
  if (args.spec === "v2.4.2") {
    const dir = path.join(path.dirname(new URL(import.meta.url).pathname), "..", "fixtures", "vc_to_bn");
    const found = replay(v, dir);
    const files = fs.readdirSync(dir).length;
    expect(`${files} captured Lodestar exchanges: only the graffiti quirk`,
           files >= 10 && found.length === 1 && found[0].where === "request.query.graffiti");
    // Tampering with a captured response must be caught.
    const x = JSON.parse(fs.readFileSync(path.join(dir, "getAttesterDuties-200.json"), "utf8"));
    x.response.body.data[0].pubkey = "0x1234";
    const route = v.match("POST", "/eth/v1/validator/duties/attester/3");
    expect("tampered captured duties rejected",
           v.check_response(route, "POST", 200, "application/json", Buffer.from(JSON.stringify(x.response.body))).length === 1);
    // --strict: a missing property the spec does not mark required is caught only in strict mode.
    delete x.response.body.dependent_root;
    x.response.body.data[0].pubkey = "0x" + "ab".repeat(48);
    const lax = v.check_response(route, "POST", 200, "application/json", Buffer.from(JSON.stringify(x.response.body)));
    const saved = strictRequired;
    strictRequired = true;
    const sv = new Validator(load_spec(args.spec));
    const strict = sv.check_response(sv.match("POST", "/eth/v1/validator/duties/attester/3"), "POST", 200,
                                     "application/json", Buffer.from(JSON.stringify(x.response.body)));
    const strictReplay = replay(sv, dir);
    strictRequired = saved;
    expect("missing dependent_root: passes lax, caught by --strict", lax.length === 0 && strict.length === 1);
    expect("captured Lodestar exchanges also pass --strict (graffiti only)", strictReplay.length === 1);
  }
  process.stdout.write(`${failed === 0 ? "self-test passed" : `self-test: ${failed} failed`}\n`);
  process.exit(failed === 0 ? 0 : 1);
}

const args = parse_args(process.argv);
strictRequired = args.strict === true;
if (args.replay) {
  const found = replay(new Validator(load_spec(args.spec)), args.replay);
  for (const f of found) process.stdout.write(JSON.stringify(f) + "\n");
  process.stdout.write(`${found.length} violations (spec ${args.spec})\n`);
} else if (args.selfTest) self_test(args);
else {
  if (!args.listen || !args.target) {
    process.stderr.write("usage: proxy.mjs --listen HOST:PORT --target URL [--spec v2.4.2|HEAD|file] [--name N] [--violations F] [--traffic F]\n");
    process.exit(2);
  }
  run_proxy(args);
}
