import { closest, isWorkloadName, WORKLOADS } from "../core/index.ts";
import type { PrepareProblem, Scalar, Tunable, TunableKind } from "./prepare.ts";

/**
 * What each known tunable of the shipped rules accepts. A value outside it is refused at the
 * tunable's own line before anything is sent. Names not listed here are the admin's own: they
 * only have to be literals.
 */

/** Recovery Services backupManagementType values a rule may name raw (the fallback of its workload `case`). */
const RAW_MANAGEMENT_TYPES = ["AzureIaasVM", "AzureWorkload", "AzureStorage", "MAB", "DPM", "AzureBackupServer", "AzureSql", "DefaultBackup"];

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface TunableRule {
  kind: TunableKind;
  describe: string;
  check?: (tunable: Tunable) => PrepareProblem[];
}

const wholeNumber = (min: number, max: number) => (t: Tunable): PrepareProblem[] =>
  Number.isInteger(t.value) && (t.value as number) >= min && (t.value as number) <= max
    ? []
    : [{ at: t.valueAt, code: "TunableOutOfRange", message: `\`${t.name}\` must be a whole number from ${min} to ${max}; it is ${t.text}.` }];

const RULES: Record<string, TunableRule> = {
  lookback: {
    kind: "timespan",
    describe: "a timespan from 1h to 14d, e.g. 24h",
    // Resource Graph keeps backup jobs for 14 days; under an hour the rule would miss the job it should retry.
    check: (t) => ((t.value as number) >= HOUR && (t.value as number) <= 14 * DAY ? [] : [{ at: t.valueAt, code: "TunableOutOfRange", message: `\`lookback\` must be from 1h to 14d (Resource Graph keeps backup jobs 14 days); it is ${t.text}.` }]),
  },
  attemptBudget: { kind: "number", describe: "a whole number of at least 1, e.g. 3", check: wholeNumber(1, 1000) },
  retryManualJobs: { kind: "bool", describe: "true or false" },
  workloads: { kind: "list", describe: 'a list of workload names, e.g. dynamic(["AzureVM", "SQL"])', check: (t) => t.items.flatMap((item) => workloadProblem(t.name, item)) },
  nonRetryableCodes: {
    kind: "list",
    describe: 'a list of error codes, e.g. dynamic(["UserErrorVmNotFoundV2", "320001"])',
    check: (t) => t.items.filter((item) => String(item.value).trim() === "").map((item) => ({ at: item.at, code: "TunableOutOfRange", message: `\`${t.name}\` holds an empty error code; remove it.` })),
  },
  expiryDaysByWorkload: { kind: "map", describe: 'a map of workload to days, e.g. dynamic({"AzureVM": 10, "SQL": 45})', check: expiryProblems },
  dailyAllowanceByWorkload: { kind: "map", describe: 'a map of workload to on-demand backups per day, e.g. dynamic({"AzureVM": 9})', check: allowanceProblems },
};

/** Problems of every known tunable's type and range, each at the tunable's own position. */
export function tunableProblems(tunables: readonly Tunable[]): PrepareProblem[] {
  return tunables.flatMap((t) => {
    const rule = RULES[t.name];
    if (rule === undefined) return [];
    if (t.kind !== rule.kind) return [{ at: t.valueAt, code: "TunableType", message: `\`${t.name}\` must be ${rule.describe}; it is a ${t.kind} (${t.text}).` }];
    return rule.check?.(t) ?? [];
  });
}

function workloadProblem(tunable: string, item: Scalar): PrepareProblem[] {
  const value = String(item.value);
  if (isWorkloadName(value) || RAW_MANAGEMENT_TYPES.includes(value) || value.includes("/")) return [];
  const known = [...Object.keys(WORKLOADS), ...RAW_MANAGEMENT_TYPES];
  const near = closest(value, known);
  const hint = near === undefined ? ` Known names: ${Object.keys(WORKLOADS).join(", ")}; or a raw dataSourceType such as "Microsoft.ContainerService/managedClusters".` : ` Did you mean "${near}"?`;
  return [{ at: item.at, code: "TunableUnknownWorkload", message: `\`${tunable}\` names an unknown workload "${value}".${hint}` }];
}

function expiryProblems(t: Tunable): PrepareProblem[] {
  return t.keys.flatMap((key, i) => {
    const workload = String(key.value);
    const item = t.items[i];
    const facts = isWorkloadName(workload) ? WORKLOADS[workload] : undefined;
    const limits = facts?.expiryDays;
    if (limits === undefined) {
      const recoveryServices = Object.entries(WORKLOADS).filter(([, f]) => f.expiryDays !== undefined).map(([name]) => name);
      const near = closest(workload, recoveryServices);
      return [{ at: key.at, code: "TunableUnknownWorkload", message: `\`${t.name}\` names "${workload}", which is not a Recovery Services workload (${recoveryServices.join(", ")}).${near === undefined ? "" : ` Did you mean "${near}"?`}` }];
    }
    const days = item?.value;
    const [min, max] = limits;
    if (typeof days === "number" && Number.isInteger(days) && days >= min && days <= max) return [];
    const why = facts?.expiryLimitsWhy;
    return [{ at: item?.at ?? key.at, code: "TunableOutOfRange", message: `\`${t.name}\` gives ${workload} ${item?.text ?? "nothing"} days; it must be a whole number from ${min} to ${max}${why === undefined ? "" : ` (${why})`}.` }];
  });
}

function allowanceProblems(t: Tunable): PrepareProblem[] {
  return t.keys.flatMap((key, i) => {
    const workload = String(key.value);
    const item = t.items[i];
    if (!isWorkloadName(workload)) {
      const near = closest(workload, Object.keys(WORKLOADS));
      return [{ at: key.at, code: "TunableUnknownWorkload", message: `\`${t.name}\` names an unknown workload "${workload}".${near === undefined ? ` Known names: ${Object.keys(WORKLOADS).join(", ")}.` : ` Did you mean "${near}"?`}` }];
    }
    const max = WORKLOADS[workload].dailyAllowance;
    const value = item?.value;
    if (typeof value === "number" && Number.isInteger(value) && value >= 0 && (max === undefined || value <= max)) return [];
    const limit = max === undefined ? "a whole number of at least 0" : `a whole number from 0 to ${max} (the service allows ${max} on-demand backups of ${workload} per item per day)`;
    return [{ at: item?.at ?? key.at, code: "TunableOutOfRange", message: `\`${t.name}\` gives ${workload} ${item?.text ?? "nothing"}; it must be ${limit}.` }];
  });
}
