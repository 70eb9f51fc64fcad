// The worked projection of docs/scale.md: measured figures (bench/capacity.mjs, and the fixed-rate
// bench's CPU a request) times the stated assumptions. Every assumption is a named constant here,
// printed with the result; change one and rerun `npm run bench:capacity`.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FIXED_RATE = fileURLToPath(new URL('../results/fixed-rate.json', import.meta.url));
const GB = 1e9;

export const ASSUMPTIONS = {
  users: 10_000_000,
  liveSessions: 2_000_000,
  authenticatedRps: 100_000,
  /** Share of those requests that carry a cookie session; the rest carry an access token. */
  sessionShare: 0.5,
  /** Mean life of a cookie session from login to its end (idle 30 min, absolute 12 h by default). */
  meanSessionHours: 4,
  /** Live token families (apps and services), each refreshing once an access-token lifetime. */
  liveFamilies: 2_000_000,
  accessTokenSeconds: 900,
  /** Mean life of a token family (refresh idle 30 d, absolute 90 d). */
  meanFamilyDays: 30,
  /** Records stay a day after their end (RECORD_RETENTION_MS), so that an old cookie is told "revoked". */
  recordRetentionHours: 24,
  /** Share of live sessions used within any minute: each of them is touched once a minute (touchInterval). */
  activeSessionShare: 0.3,
  /** Session-cache misses (first use on an instance, expiry of the cached entry) per session check. */
  sessionCacheMissShare: 0.02,
  /** Revocations (logouts, password changes, admin actions) a second; one feed event each. */
  revocationsPerSecond: 200,
  /** Audit entries are kept this long (an operator's choice; Tessera does not trim them). */
  auditRetentionDays: 90,
  /** A core is planned at this utilisation, for bursts, GC and failover of a neighbour. */
  coreUtilisation: 0.6,
  /** CPU a cached check costs when no fixed-rate result is at hand (µs, this VM's order of magnitude). */
  fallbackCpuUsPerRequest: 75,
  /** Redis: memory a node may fill (maxmemory, below the host's RAM for forks and buffers). */
  redisNodeBytes: 25 * GB,
  /** Redis: allocator overhead on top of MEMORY USAGE (mem_fragmentation_ratio of a long-lived node). */
  redisFragmentation: 1.3,
  /** Redis: commands a second one shard is planned at (one core; small commands and short Lua scripts). */
  redisOpsPerShard: 80_000,
  /** PostgreSQL: dead tuples and free space that autovacuum keeps on top of live rows. */
  postgresBloat: 1.3,
};

function cpuFromFixedRate() {
  if (!existsSync(FIXED_RATE)) return null;
  const { scenarios } = JSON.parse(readFileSync(FIXED_RATE, 'utf8'));
  const cpu = (id) => scenarios.find((s) => s.id === id)?.cpuUsPerRequest ?? null;
  const session = cpu('tessera-session-redis');
  const token = cpu('tessera-token');
  return session && token ? { session, token, source: 'bench/results/fixed-rate.json' } : null;
}

const round = (n, digits = 0) => Number(n.toFixed(digits));

/** @param {{ redis, postgres, deny, feed }} f the figures of bench/capacity.mjs */
export function project(f, a = ASSUMPTIONS) {
  const cpu = cpuFromFixedRate() ?? { session: a.fallbackCpuUsPerRequest, token: a.fallbackCpuUsPerRequest, source: 'assumption (no fixed-rate result)' };
  const sessionRps = a.authenticatedRps * a.sessionShare;
  const tokenRps = a.authenticatedRps - sessionRps;

  // Instances: cores of checks, plus the feed, at the planned utilisation; one Node process a core.
  // Every instance applies every event, and each comes twice (the stream, then the log poll).
  const feedCores = (a.revocationsPerSecond * 2 * f.feed.cpuUsPerEvent) / 1e6;
  const checkCores = (sessionRps * cpu.session + tokenRps * cpu.token) / 1e6;
  const instances = Math.ceil(checkCores / (a.coreUtilisation - feedCores));
  const denyEntries = a.revocationsPerSecond * ((a.accessTokenSeconds + 30));
  const denyBytes = denyEntries * f.deny.sidEntryBytes;

  // Redis: live sessions and those ended within the retention window, all with the same record.
  const sessionsCreatedPerSecond = a.liveSessions / (a.meanSessionHours * 3600);
  const retainedEnded = sessionsCreatedPerSecond * a.recordRetentionHours * 3600;
  const redisRecords = a.liveSessions + retainedEnded;
  const redisBytes = redisRecords * f.redis.memoryUsageBytesPerSession * a.redisFragmentation;
  // The same with every session hash a listpack (hash-max-listpack-value raised above the user agent).
  const listpackPerSession = f.redis.memoryUsageBytesPerSession - f.redis.sessionHashBytes + f.redis.shortUserAgentHashBytes;
  const redisBytesListpack = redisRecords * listpackPerSession * a.redisFragmentation;
  const touches = (a.liveSessions * a.activeSessionShare) / 60;
  const redisOps = touches + sessionRps * a.sessionCacheMissShare + sessionsCreatedPerSecond * 3 + a.revocationsPerSecond * 2;
  const redisShards = Math.max(Math.ceil(redisBytes / a.redisNodeBytes), Math.ceil(redisOps / a.redisOpsPerShard));

  // PostgreSQL: users, families (live and within retention), the audit trail, the revocation log.
  const familiesCreatedPerSecond = a.liveFamilies / (a.meanFamilyDays * 86400);
  const familyRows = a.liveFamilies + familiesCreatedPerSecond * a.recordRetentionHours * 3600;
  const loginsPerSecond = sessionsCreatedPerSecond + familiesCreatedPerSecond;
  const auditRows = loginsPerSecond * 86400 * a.auditRetentionDays;
  const revocationRows = a.revocationsPerSecond * 86400; // the log keeps a day (stream and replay window)
  const pgBytes = (a.users * f.postgres.userBytes + familyRows * f.postgres.familyBytes + auditRows * f.postgres.auditEntryBytes + revocationRows * f.postgres.revocationBytes) * a.postgresBloat;
  const refreshesPerSecond = a.liveFamilies / a.accessTokenSeconds;
  // Writes: a refresh updates its family; a login inserts its audit entry (and a family for tokens);
  // a revocation writes its log entry, its record and an audit entry.
  const pgWrites = refreshesPerSecond + loginsPerSecond + familiesCreatedPerSecond + a.revocationsPerSecond * 3;

  const result = {
    assumptions: a,
    cpuUsPerRequest: cpu,
    instances: { checkCores: round(checkCores, 2), feedCoresEach: round(feedCores, 4), processes: instances, denyEntriesEach: round(denyEntries), denyMiBEach: round(denyBytes / 2 ** 20, 1) },
    redis: { records: round(redisRecords), gb: round(redisBytes / GB, 1), gbListpack: round(redisBytesListpack / GB, 1), opsPerSecond: round(redisOps), shards: redisShards, sessionsCreatedPerSecond: round(sessionsCreatedPerSecond) },
    postgres: { gb: round(pgBytes / GB, 1), userGb: round((a.users * f.postgres.userBytes * a.postgresBloat) / GB, 1), familyRows: round(familyRows), auditRows: round(auditRows), writesPerSecond: round(pgWrites), refreshesPerSecond: round(refreshesPerSecond), loginsPerSecond: round(loginsPerSecond, 1) },
  };
  result.text = [
    `projection: ${a.users.toLocaleString('en-US')} users, ${a.liveSessions.toLocaleString('en-US')} live sessions, ${a.authenticatedRps.toLocaleString('en-US')} authenticated req/s (${a.sessionShare * 100}% cookie sessions)`,
    `  instances: ${result.instances.checkCores} cores of checks at ${cpu.session} µs (session) / ${cpu.token} µs (token) a request [${cpu.source}], + ${result.instances.feedCoresEach} a process for the feed; at ${a.coreUtilisation * 100}% a core: ${instances} single-core processes; each holds ${result.instances.denyEntriesEach.toLocaleString('en-US')} deny entries (${result.instances.denyMiBEach} MiB)`,
    `  redis: ${result.redis.records.toLocaleString('en-US')} session records (live + ended within a day) = ${result.redis.gb} GB with fragmentation (${result.redis.gbListpack} GB with hash-max-listpack-value 128); ${result.redis.opsPerSecond.toLocaleString('en-US')} commands/s; ${redisShards} shard(s) at ${a.redisNodeBytes / GB} GB and ${a.redisOpsPerShard.toLocaleString('en-US')} ops/s each`,
    `  postgres: ${result.postgres.gb} GB (users ${result.postgres.userGb} GB, ${result.postgres.familyRows.toLocaleString('en-US')} families, ${result.postgres.auditRows.toLocaleString('en-US')} audit rows over ${a.auditRetentionDays} d); ${result.postgres.writesPerSecond.toLocaleString('en-US')} writes/s (${result.postgres.refreshesPerSecond.toLocaleString('en-US')} refreshes, ${result.postgres.loginsPerSecond} logins)`,
  ].join('\n');
  return result;
}
