import { test } from "node:test";
import assert from "node:assert/strict";
import { estimateComplexity, parseCsv, planFromCsv, planTargets, renderPlan, type PlanRow } from "../../../cli/plan/index.js";

const sheet = `task,frequency,manual_minutes,error_rate,expected_automation_rate,complexity
invoice matching,4000,6,3%,0.85,
ticket triage,9000,2,0.08,70%,
claims intake,600,25,0.15,0.45,
vendor onboarding,40,90,0.02,0.9,high
`;

test("targets are ranked by value per unit of complexity", () => {
  const plan = planFromCsv(sheet);
  assert.deepEqual(
    plan.map((t) => [t.rank, t.task, t.complexity]),
    [
      [1, "invoice matching", "low"],
      [2, "ticket triage", "medium"],
      [3, "claims intake", "high"],
      [4, "vendor onboarding", "high"],
    ],
  );
  const invoice = plan[0]!;
  assert.equal(invoice.manualHoursPerMonth, 400);
  assert.ok(Math.abs(invoice.hoursSavedPerMonth - 400 * 0.85 * 1.03) < 1e-9);
  assert.ok(Math.abs(invoice.valueUsdPerMonth - 400 * 0.85 * 1.03 * 50) < 1e-6);
});

test("below a 60% expected hit-rate the advice is to improve structured extraction first", () => {
  const claims = planFromCsv(sheet).find((t) => t.task === "claims intake")!;
  assert.equal(claims.recommendation, "improve-extraction-first");
  assert.match(claims.advice, /45% is below 60%: improve structured extraction/);
  const [edge] = planTargets([{ task: "edge", frequency: 1, manual_minutes: 1, error_rate: 0, expected_automation_rate: 0.6 }]);
  assert.notEqual(edge!.recommendation, "improve-extraction-first", "exactly 60% is not below 60%");
});

test("a given complexity wins over the estimate and high complexity means a reviewed pilot", () => {
  const vendor = planFromCsv(sheet).find((t) => t.task === "vendor onboarding")!;
  assert.equal(vendor.complexitySource, "given");
  assert.equal(estimateComplexity({ error_rate: 0.02, expected_automation_rate: 0.9 }), "low");
  assert.equal(vendor.recommendation, "pilot-with-review");
});

test("a higher hourly rate scales value but not the order", () => {
  const rows: PlanRow[] = [
    { task: "a", frequency: 100, manual_minutes: 10, error_rate: 0, expected_automation_rate: 0.9 },
    { task: "b", frequency: 100, manual_minutes: 20, error_rate: 0, expected_automation_rate: 0.9 },
  ];
  const cheap = planTargets(rows, { hourlyRateUsd: 20 });
  const dear = planTargets(rows, { hourlyRateUsd: 80 });
  assert.deepEqual(cheap.map((t) => t.task), ["b", "a"]);
  assert.deepEqual(dear.map((t) => t.task), ["b", "a"]);
  assert.equal(dear[0]!.valueUsdPerMonth, cheap[0]!.valueUsdPerMonth * 4);
});

test("bad rows are refused with the line and the field", () => {
  const cases: [string, RegExp][] = [
    ["task,frequency,manual_minutes,error_rate,expected_automation_rate\nx,10,5,5,0.9", /line 2, error_rate: expected a fraction .* \(got "5"\)/],
    ["task,frequency,manual_minutes,error_rate,expected_automation_rate\nx,10,5,1%,0.9\ny,ten,5,1%,0.9", /line 3, frequency: expected a number of tasks per month/],
    ["task,frequency,manual_minutes,error_rate,expected_automation_rate\n,10,5,1%,0.9", /line 2, task: the task needs a name/],
    ["task,frequency,manual_minutes,error_rate,expected_automation_rate\nx,10,5,1%,140%", /line 2, expected_automation_rate: a percentage above 100%/],
    ["task,frequency,manual_minutes,error_rate,expected_automation_rate,complexity\nx,10,5,1%,0.9,huge", /line 2, complexity: expected low, medium or high/],
    ["Task,Frequency,Manual minutes\nx,1,1", /line 1: missing column\(s\) error_rate, expected_automation_rate/],
    ["task,frequency,manual_minutes,error_rate,expected_automation_rate\n", /header but no tasks/],
  ];
  for (const [csv, message] of cases) {
    assert.throws(() => planFromCsv(csv), (err: Error & { code?: string }) => {
      assert.equal(err.code, "E_SCHEMA");
      assert.match(err.message, message);
      return true;
    });
  }
});

test("headers are matched however a spreadsheet spells them", () => {
  const plan = planFromCsv("Task,Frequency,Manual Minutes,Error-Rate,Expected automation rate\nx,10,6,0,1\n");
  assert.equal(plan[0]!.manualHoursPerMonth, 1);
});

test("the table aligns columns, Markdown is a pipe table and CSV round-trips through the parser", () => {
  const plan = planFromCsv(sheet);
  const table = renderPlan(plan, "table").split("\n");
  assert.match(table[0]!, /^rank  task\s+tasks\/month/);
  assert.equal(table[2]!.indexOf("invoice matching"), table[0]!.indexOf("task"));
  assert.match(renderPlan(plan, "table"), /\* complexity estimated/);

  const md = renderPlan(plan, "md").split("\n");
  assert.match(md[1]!, /^\| ---: \| --- \| ---: /);
  assert.equal(md.filter((l) => l.startsWith("| ")).length, 2 + plan.length);

  const [head, ...rows] = parseCsv(renderPlan(plan, "csv")).map((r) => r.fields);
  const csv = rows.map((r) => Object.fromEntries(head!.map((h, i) => [h, r[i]!])));
  assert.deepEqual(csv.map((r) => r.task), plan.map((t) => t.task));
  assert.equal(csv[2]!.recommendation, "improve-extraction-first");
  assert.equal(csv[2]!.advice, plan[2]!.advice, "advice holds commas and must survive quoting");
  assert.equal(Number(csv[0]!.expected_hit_rate), 0.85);
});
