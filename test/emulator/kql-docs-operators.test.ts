// The evaluator's tabular operators and aggregations against Kusto's own documentation: each case is an example from a page of
// https://learn.microsoft.com/kusto/query/ (source: MicrosoftDocs/dataexplorer-docs, data-explorer/kusto/query/<page>.md),
// named in the test's title, with the page's input, query and output. Resource Graph has no `let`, `datatable`,
// `print` or `range`, so a page's `let T = datatable(...)` is the test's input table T, `print e` is
// `T | project Column = e` over a one-row table, and `range x from a to b` is a table of x. Where a page reads the
// StormEvents sample database, the input is the rows its output shows plus rows the query must leave out.
import { describe, expect, it } from "vitest";
import { compile, doc, range, run, sorted, table } from "./support/kusto-docs.ts";
import type { Json } from "../../emulator/resource-graph/values.ts";

const X = table("X", "Key:string, Value1:long", [["a", 1], ["b", 2], ["b", 3], ["c", 4]]);
const Y = table("Y", "Key:string, Value2:long", [["b", 10], ["c", 20], ["c", 30], ["d", 40]]);

describe("join", () => {
  it(doc("join-innerunique", "the default join de-duplicates the left side, keeping the first row per key"), () => {
    expect(run([X, Y], "X | join Y on Key")).toEqual([
      { Key: "b", Value1: 2, Key1: "b", Value2: 10 },
      { Key: "c", Value1: 4, Key1: "c", Value2: 20 },
      { Key: "c", Value1: 4, Key1: "c", Value2: 30 },
    ]);
  });

  const t1 = table("t1", "key:long, value:string", [[1, "val1.1"], [1, "val1.2"]]);
  const t2 = table("t2", "key:long, value:string", [[1, "val1.3"], [1, "val1.4"]]);

  it(doc("join-innerunique", "two possible outputs: this one keeps the first left row"), () => {
    expect(run([t1, t2], "t1\n| join kind = innerunique\n    t2\n    on key")).toEqual([
      { key: 1, value: "val1.1", key1: 1, value1: "val1.3" },
      { key: 1, value: "val1.1", key1: 1, value1: "val1.4" },
    ]);
  });

  it(doc("join-innerunique", "a filter after the join on a left column applies before the de-duplication"), () => {
    expect(run([t1, t2], 't1\n| join kind = innerunique\n    t2\n    on key\n| where value == "val1.2"')).toEqual([
      { key: 1, value: "val1.2", key1: 1, value1: "val1.3" },
      { key: 1, value: "val1.2", key1: 1, value1: "val1.4" },
    ]);
  });

  it(doc("join-inner", "every matching pair of rows"), () => {
    const Xk = table("X", "Key:string, Value1:long", [["a", 1], ["b", 2], ["b", 3], ["k", 5], ["c", 4]]);
    const Yk = table("Y", "Key:string, Value2:long", [["b", 10], ["c", 20], ["c", 30], ["d", 40], ["k", 50]]);
    expect(sorted(run([Xk, Yk], "X | join kind=inner Y on Key"))).toEqual(
      sorted([
        { Key: "b", Value1: 3, Key1: "b", Value2: 10 },
        { Key: "b", Value1: 2, Key1: "b", Value2: 10 },
        { Key: "c", Value1: 4, Key1: "c", Value2: 20 },
        { Key: "c", Value1: 4, Key1: "c", Value2: 30 },
        { Key: "k", Value1: 5, Key1: "k", Value2: 50 },
      ]),
    );
  });

  it(doc("join-leftouter", "every left row, with the right side's cells empty where nothing matched"), () => {
    expect(run([X, Y], "X | join kind=leftouter Y on Key")).toEqual([
      { Key: "a", Value1: 1, Key1: "", Value2: null },
      { Key: "b", Value1: 2, Key1: "b", Value2: 10 },
      { Key: "b", Value1: 3, Key1: "b", Value2: 10 },
      { Key: "c", Value1: 4, Key1: "c", Value2: 20 },
      { Key: "c", Value1: 4, Key1: "c", Value2: 30 },
    ]);
  });

  it(doc("join-fullouter", "every row of both sides"), () => {
    expect(sorted(run([X, Y], "X | join kind=fullouter Y on Key"))).toEqual(
      sorted([
        { Key: "b", Value1: 3, Key1: "b", Value2: 10 },
        { Key: "b", Value1: 2, Key1: "b", Value2: 10 },
        { Key: "c", Value1: 4, Key1: "c", Value2: 20 },
        { Key: "c", Value1: 4, Key1: "c", Value2: 30 },
        { Key: "", Value1: null, Key1: "d", Value2: 40 },
        { Key: "a", Value1: 1, Key1: "", Value2: null },
      ]),
    );
  });

  it(doc("join-operator", "a cross join through a placeholder key, matched with $left and $right"), () => {
    const out = run([X, Y], "X | extend placeholder=1 | join kind=inner (Y | extend placeholder=1) on $left.placeholder == $right.placeholder");
    expect(out).toHaveLength(16);
    expect(Object.keys(out[0] ?? {})).toEqual(["Key", "Value1", "placeholder", "Key1", "Value2", "placeholder1"]);
  });

  it(doc("pack-function", "an inner join of two tables on SourceNumber, packed into a bag"), () => {
    const sms = table("SmsMessages", "SourceNumber:string, TargetNumber:string, CharsCount:string", [
      ["555-555-1234", "555-555-1212", "46"],
      ["555-555-1234", "555-555-1213", "50"],
      ["555-555-1212", "555-555-1234", "32"],
    ]);
    const mms = table("MmsMessages", "SourceNumber:string, TargetNumber:string, FileSize:string, FileName:string", [
      ["555-555-1212", "555-555-1213", "200", "Pic1"],
      ["555-555-1234", "555-555-1212", "250", "Pic2"],
      ["555-555-1234", "555-555-1213", "300", "Pic3"],
    ]);
    const query = `SmsMessages
| join kind=inner MmsMessages on SourceNumber
| extend Packed=bag_pack("CharsCount", CharsCount, "FileSize", FileSize, "FileName", FileName)
| where SourceNumber == "555-555-1234"
| project SourceNumber, TargetNumber, Packed`;
    expect(sorted(run([sms, mms], query))).toEqual(
      sorted([
        { SourceNumber: "555-555-1234", TargetNumber: "555-555-1213", Packed: { CharsCount: "50", FileSize: "250", FileName: "Pic2" } },
        { SourceNumber: "555-555-1234", TargetNumber: "555-555-1212", Packed: { CharsCount: "46", FileSize: "250", FileName: "Pic2" } },
        { SourceNumber: "555-555-1234", TargetNumber: "555-555-1213", Packed: { CharsCount: "50", FileSize: "300", FileName: "Pic3" } },
        { SourceNumber: "555-555-1234", TargetNumber: "555-555-1212", Packed: { CharsCount: "46", FileSize: "300", FileName: "Pic3" } },
      ]),
    );
  });
});

describe("summarize and its aggregations", () => {
  const fruit = table("T", "Fruit:string, Color:string, Version:int", [
    ["Apple", "Red", 1],
    ["Apple", "Green", null],
    ["Banana", "Yellow", null],
    ["Banana", "Green", null],
    ["Pear", "Brown", 1],
    ["Pear", "Green", 2],
  ]);

  it(doc("arg-max-aggregation-function", "arg_max(Version, *) by Fruit: null handling and the columns' names and order"), () => {
    const compiled = compile([fruit], "T | summarize arg_max(Version, *) by Fruit");
    expect(compiled.columns.map((c) => c.name)).toEqual(["Fruit", "Version", "Color"]);
    expect(run([fruit], "T | summarize arg_max(Version, *) by Fruit")).toEqual([
      { Fruit: "Apple", Version: 1, Color: "Red" },
      { Fruit: "Banana", Version: null, Color: "Yellow" },
      { Fruit: "Pear", Version: 2, Color: "Green" },
    ]);
  });

  it(doc("arg-min-aggregation-function", "arg_min(Version, *) by Fruit"), () => {
    expect(run([fruit], "T | summarize arg_min(Version, *) by Fruit")).toEqual([
      { Fruit: "Apple", Version: 1, Color: "Red" },
      { Fruit: "Banana", Version: null, Color: "Yellow" },
      { Fruit: "Pear", Version: 1, Color: "Brown" },
    ]);
  });

  it(doc("arg-max-aggregation-function", "arg_max(BeginLat, BeginLocation) by State"), () => {
    const storms = table("StormEvents", "State:string, BeginLat:real, BeginLocation:string", [
      ["VERMONT", 44.2, "BURLINGTON"],
      ["VERMONT", 45, "NORTH TROY"],
      ["HAWAII", 22.2113, "PRINCEVILLE"],
      ["HAWAII", 19.5, "HILO"],
    ]);
    expect(run([storms], "StormEvents \n| summarize arg_max(BeginLat, BeginLocation) by State")).toEqual([
      { State: "VERMONT", BeginLat: 45, BeginLocation: "NORTH TROY" },
      { State: "HAWAII", BeginLat: 22.2113, BeginLocation: "PRINCEVILLE" },
    ]);
  });

  const empty = table("T", "x:long", []);

  it(doc("summarize-operator", "over no rows without by: one row of each aggregation's default"), () => {
    expect(run([empty], "T | summarize any_x=take_any(x), arg_max_x=arg_max(x, *), arg_min_x=arg_min(x, *), avg(x), max(x), min(x), sum(x), sumif(x, x > 0)")).toEqual([
      { any_x: null, arg_max_x: null, arg_min_x: null, avg_x: "NaN", max_x: null, min_x: null, sum_x: 0, sumif_x: 0 },
    ]);
    // The page also shows count(x); Kusto's binder types count's argument as bool, so the emulator refuses it.
    expect(run([empty], "T | summarize countif(x > 0), dcount(x)")).toEqual([{ countif_: 0, dcount_x: 0 }]);
    expect(run([empty], "T | summarize make_set(x), make_list(x)")).toEqual([{ set_x: [], list_x: [] }]);
  });

  const y = (to: number) => [range("T", "x", 1, to)];
  it(doc("summarize-operator", "sum and avg ignore nulls"), () => {
    expect(run(y(4), "T\n| extend y = iff(x == 1, real(null), real(5))\n| summarize sum(y), avg(y)")).toEqual([{ sum_y: 15, avg_y: 5 }]);
  });

  it(doc("summarize-operator", "make_set ignores nulls; a second aggregation of the same name is suffixed 1"), () => {
    expect(run(y(2), "T\n| extend y = iff(x == 1, real(null), real(5))\n| summarize make_set(y), make_set(y)")).toEqual([{ set_y: [5], set_y1: [5] }]);
  });

  it(doc("summarize-operator", "summarize by two columns with no aggregation lists the distinct pairs"), () => {
    const storms = table("StormEvents", "State:string, EventType:string, InjuriesDirect:long", [
      ["TEXAS", "Thunderstorm Wind", 3],
      ["TEXAS", "Flash Flood", 1],
      ["TEXAS", "Thunderstorm Wind", 2],
      ["TEXAS", "Hail", 0],
    ]);
    expect(run([storms], "StormEvents\n| where InjuriesDirect > 0\n| summarize by State, EventType")).toEqual([
      { State: "TEXAS", EventType: "Thunderstorm Wind" },
      { State: "TEXAS", EventType: "Flash Flood" },
    ]);
  });

  it(doc("summarize-operator", "min and max of a timespan"), () => {
    const storms = table("StormEvents", "State:string, EventType:string, StartTime:datetime, EndTime:datetime", [
      ["HAWAII", "Heavy Rain", "2007-01-01T00:00:00Z", "2007-01-01T01:08:00Z"],
      ["HAWAII", "Heavy Rain", "2007-02-01T00:00:00Z", "2007-02-01T11:55:00Z"],
      ["HAWAII", "Drought", "2007-03-01T00:00:00Z", "2007-03-20T00:00:00Z"],
    ]);
    const query = 'StormEvents\n| where State == "HAWAII" and EventType == "Heavy Rain"\n| project Duration = EndTime - StartTime\n| summarize Min = min(Duration), Max = max(Duration)';
    expect(run([storms], query)).toEqual([{ Min: "01:08:00", Max: "11:55:00" }]);
  });

  it(doc("summarize-operator", "count() by a computed key: bin(Duration, 1d)"), () => {
    const storms = table("StormEvents", "EventType:string, StartTime:datetime, EndTime:datetime", [
      ["Drought", "2007-01-01T00:00:00Z", "2007-01-31T06:00:00Z"],
      ["Drought", "2007-02-01T00:00:00Z", "2007-03-03T01:00:00Z"],
      ["Heavy Rain", "2007-01-01T00:00:00Z", "2007-01-30T12:00:00Z"],
      ["Hail", "2007-01-01T00:00:00Z", "2007-01-01T01:00:00Z"],
    ]);
    const query = "StormEvents\n| project EventType, Duration = EndTime - StartTime\n| where Duration > 1d\n| summarize EventCount=count() by EventType, Length=bin(Duration, 1d)\n| sort by Length";
    expect(run([storms], query)).toEqual([
      { EventType: "Drought", Length: "30.00:00:00", EventCount: 2 },
      { EventType: "Heavy Rain", Length: "29.00:00:00", EventCount: 1 },
    ]);
  });

  const beatles = table("T", "name:string, day_of_birth:long", [["John", 9], ["Paul", 18], ["George", 25], ["Ringo", 7]]);

  it(doc("countif-aggregation-function", "countif(strlen(name) > 4)"), () => {
    expect(run([beatles], "T\n| summarize countif(strlen(name) > 4)")).toEqual([{ countif_: 2 }]);
  });

  it(doc("sumif-aggregation-function", "sumif(day_of_birth, strlen(name) > 4)"), () => {
    expect(run([beatles], "T\n| summarize sumif(day_of_birth, strlen(name) > 4)")).toEqual([{ sumif_day_of_birth: 32 }]);
  });

  const damage = table("StormEvents", "State:string, DamageCrops:long, DamageProperty:long, DeathsDirect:long, DeathsIndirect:long", [
    ["TEXAS", 0, 25000000, 0, 0],
    ["TEXAS", 1000, 8000, 1, 0],
    ["TEXAS", 0, 30000000, 2, 0],
    ["KANSAS", 37500000, 0, 0, 0],
    ["KANSAS", 0, 5000, 0, 1],
  ]);

  it(doc("maxif-aggregation-function", "maxif(Damage, Deaths == 0) by State"), () => {
    const query = "StormEvents\n| extend Damage=DamageCrops + DamageProperty, Deaths=DeathsDirect + DeathsIndirect\n| summarize MaxDamageNoCasualties=maxif(Damage, Deaths == 0) by State";
    expect(run([damage], query)).toEqual([
      { State: "TEXAS", MaxDamageNoCasualties: 25000000 },
      { State: "KANSAS", MaxDamageNoCasualties: 37500000 },
    ]);
  });

  it(doc("minif-aggregation-function", "minif(Damage, (Deaths >0) and (Damage >0)) by State"), () => {
    const query = "StormEvents\n| extend Damage=DamageCrops+DamageProperty, Deaths=DeathsDirect+DeathsIndirect\n| summarize MinDamageWithCasualties=minif(Damage,(Deaths >0) and (Damage >0)) by State \n| where MinDamageWithCasualties >0 and isnotnull(MinDamageWithCasualties)";
    expect(run([damage], query)).toEqual([
      { State: "TEXAS", MinDamageWithCasualties: 9000 },
      { State: "KANSAS", MinDamageWithCasualties: 5000 },
    ]);
  });

  it(doc("sum-aggregation-function", "count() and sum(DamageCrops+DamageProperty) by State, sorted"), () => {
    const query = "StormEvents \n| summarize EventCount=count(), TotalDamages = sum(DamageCrops+DamageProperty) by State \n| sort by TotalDamages";
    expect(run([damage], query)).toEqual([
      { State: "TEXAS", EventCount: 3, TotalDamages: 55009000 },
      { State: "KANSAS", EventCount: 2, TotalDamages: 37505000 },
    ]);
  });

  it(doc("avg-aggregation-function", "avg(DamageCrops) by State"), () => {
    expect(run([damage], "StormEvents\n| summarize AvgDamageToCrops = avg(DamageCrops) by State")).toEqual([
      { State: "TEXAS", AvgDamageToCrops: 1000 / 3 },
      { State: "KANSAS", AvgDamageToCrops: 18750000 },
    ]);
  });

  it(doc("max-aggregation-function", "max(StartTime)"), () => {
    const storms = table("StormEvents", "StartTime:datetime", [["2007-12-31T23:53:00Z"], ["2007-01-01T00:00:00Z"]]);
    expect(run([storms], "StormEvents\n| summarize LatestEvent=max(StartTime)")).toEqual([{ LatestEvent: "2007-12-31T23:53:00.0000000Z" }]);
  });

  it(doc("min-aggregation-function", "min(StartTime)"), () => {
    const storms = table("StormEvents", "StartTime:datetime", [["2007-12-31T23:53:00Z"], ["2007-01-01T00:00:00Z"]]);
    expect(run([storms], "StormEvents\n| summarize FirstEvent=min(StartTime)")).toEqual([{ FirstEvent: "2007-01-01T00:00:00.0000000Z" }]);
  });

  it(doc("count-aggregation-function", "count() by State"), () => {
    const storms = table("StormEvents", "State:string", [["TEXAS"], ["KANSAS"], ["TEXAS"]]);
    expect(run([storms], "StormEvents\n| summarize Count=count() by State")).toEqual([
      { State: "TEXAS", Count: 2 },
      { State: "KANSAS", Count: 1 },
    ]);
  });

  it(doc("dcount-aggregation-function", "dcount(EventType) by State, ordered"), () => {
    const storms = table("StormEvents", "State:string, EventType:string", [["TEXAS", "Hail"], ["TEXAS", "Flood"], ["TEXAS", "Hail"], ["OREGON", "Flood"]]);
    expect(run([storms], "StormEvents\n| summarize DifferentEvents=dcount(EventType) by State\n| order by DifferentEvents")).toEqual([
      { State: "TEXAS", DifferentEvents: 2 },
      { State: "OREGON", DifferentEvents: 1 },
    ]);
  });

  const shapes = table("shapes", "name:string, sideCount:int", [
    ["triangle", 3],
    ["square", 4],
    ["rectangle", 4],
    ["pentagon", 5],
    ["hexagon", 6],
    ["heptagon", 7],
    ["octagon", 8],
    ["nonagon", 9],
    ["decagon", 10],
  ]);

  it(doc("make-list-aggregation-function", "one column"), () => {
    expect(run([shapes], "shapes\n| summarize mylist = make_list(name)")).toEqual([{ mylist: ["triangle", "square", "rectangle", "pentagon", "hexagon", "heptagon", "octagon", "nonagon", "decagon"] }]);
  });

  it(doc("make-list-aggregation-function", "by a computed key"), () => {
    expect(run([shapes], "shapes\n| summarize mylist = make_list(name) by isEvenSideCount = sideCount % 2 == 0")).toEqual([
      { isEvenSideCount: false, mylist: ["triangle", "pentagon", "heptagon", "nonagon"] },
      { isEvenSideCount: true, mylist: ["square", "rectangle", "hexagon", "octagon", "decagon"] },
    ]);
  });

  it(doc("make-list-aggregation-function", "packing a dynamic object"), () => {
    expect(run([shapes], 'shapes\n| extend d = bag_pack("name", name, "sideCount", sideCount)\n| summarize mylist = make_list(d) by isEvenSideCount = sideCount % 2 == 0')).toEqual([
      { isEvenSideCount: false, mylist: [{ name: "triangle", sideCount: 3 }, { name: "pentagon", sideCount: 5 }, { name: "heptagon", sideCount: 7 }, { name: "nonagon", sideCount: 9 }] },
      { isEvenSideCount: true, mylist: [{ name: "square", sideCount: 4 }, { name: "rectangle", sideCount: 4 }, { name: "hexagon", sideCount: 6 }, { name: "octagon", sideCount: 8 }, { name: "decagon", sideCount: 10 }] },
    ]);
  });

  it(doc("make-set-aggregation-function", "set from an array column"), () => {
    const t = table("T", "Val:int, Arr1:dynamic", [[1, ["A1", "A2", "A3"]], [5, ["A2", "C1"]], [7, ["C2", "A3"]], [5, ["C2", "A1"]]]);
    const [row] = run([t], "T \n| summarize Val_set=make_set(Val), Arr1_set=make_set(Arr1)");
    expect([...(row?.Val_set as number[])].sort()).toEqual([1, 5, 7]);
    expect([...(row?.Arr1_set as string[])].sort()).toEqual(["A1", "A2", "A3", "C1", "C2"]);
  });

  it(doc("take-any-aggregation-function", "take_any of one column returns a non-empty value when there is one"), () => {
    const storms = table("StormEvents", "State:string", [[""], ["TEXAS"], ["KANSAS"]]);
    expect(run([storms], "StormEvents\n| summarize take_any(State)")).toEqual([{ State: "TEXAS" }]);
  });
});

describe("mv-expand", () => {
  it(doc("mv-expand-operator", "single column, array expansion"), () => {
    const t = table("T", "a:int, b:dynamic", [[1, [10, 20]], [2, ["a", "b"]]]);
    expect(run([t], "T\n| mv-expand b")).toEqual([
      { a: 1, b: 10 },
      { a: 1, b: 20 },
      { a: 2, b: "a" },
      { a: 2, b: "b" },
    ]);
  });

  const bags = table("T", "a:int, b:dynamic", [[1, { prop1: "a1", prop2: "b1" }], [2, { prop1: "a2", prop2: "b2" }]]);

  it(doc("mv-expand-operator", "single column, bag expansion"), () => {
    expect(run([bags], "T\n| mv-expand b")).toEqual([
      { a: 1, b: { prop1: "a1" } },
      { a: 1, b: { prop2: "b1" } },
      { a: 2, b: { prop1: "a2" } },
      { a: 2, b: { prop2: "b2" } },
    ]);
  });

  it(doc("mv-expand-operator", "bag expansion to key-value pairs"), () => {
    expect(run([bags], "T\n| mv-expand kind=array b \n| extend key = b[0], val=b[1]")).toEqual([
      { a: 1, b: ["prop1", "a1"], key: "prop1", val: "a1" },
      { a: 1, b: ["prop2", "b1"], key: "prop2", val: "b1" },
      { a: 2, b: ["prop1", "a2"], key: "prop1", val: "a2" },
      { a: 2, b: ["prop2", "b2"], key: "prop2", val: "b2" },
    ]);
  });

  const two = table("T", "a:int, b:dynamic, c:dynamic", [[1, { prop1: "a", prop2: "b" }, [5, 4, 3]]]);

  it(doc("mv-expand-operator", "two columns are zipped"), () => {
    expect(run([two], "T\n| mv-expand b, c")).toEqual([
      { a: 1, b: { prop1: "a" }, c: 5 },
      { a: 1, b: { prop2: "b" }, c: 4 },
      { a: 1, b: null, c: 3 },
    ]);
  });

  it(doc("mv-expand-operator", "one after the other is the cartesian product"), () => {
    const t = table("T", "a:int, b:dynamic, c:dynamic", [[1, { prop1: "a", prop2: "b" }, [5, 6]]]);
    expect(run([t], "T\n| mv-expand b\n| mv-expand c")).toEqual([
      { a: 1, b: { prop1: "a" }, c: 5 },
      { a: 1, b: { prop1: "a" }, c: 6 },
      { a: 1, b: { prop2: "b" }, c: 5 },
      { a: 1, b: { prop2: "b" }, c: 6 },
    ]);
  });

  it(doc("mv-expand-operator", "to typeof(int) types only the column it follows"), () => {
    const t = table("T", "a:string, b:dynamic, c:dynamic", [["Constant", [1, 2, 3, 4], [6, 7, 8, 9]]]);
    expect(compile([t], "T\n| mv-expand b, c to typeof(int)").columns).toEqual([
      { name: "a", type: "string" },
      { name: "b", type: "dynamic" },
      { name: "c", type: "int" },
    ]);
  });

  it(doc("mv-expand-operator", "with_itemindex"), () => {
    const t = table("T", "x:dynamic", [[[1, 2, 3, 4]]]);
    expect(run([t], "T\n| mv-expand with_itemindex=Index x")).toEqual([
      { x: 1, Index: 0 },
      { x: 2, Index: 1 },
      { x: 3, Index: 2 },
      { x: 4, Index: 3 },
    ]);
  });
});

describe("parse", () => {
  const traces = table("Traces", "EventText:string", [
    ["Event: NotifySliceRelease (resourceName=PipelineScheduler, totalSlices=27, sliceNumber=23, lockTime=02/17/2016 08:40:01, releaseTime=02/17/2016 08:40:01, previousLockTime=02/17/2016 08:39:01)"],
    ["Event: NotifySliceRelease (resourceName=PipelineScheduler, totalSlices=27, sliceNumber=15, lockTime=02/17/2016 08:40:00, releaseTime=02/17/2016 08:40:00, previousLockTime=02/17/2016 08:39:00)"],
  ]);

  it(doc("parse-operator", "parse and extend: typed columns and skipped text"), () => {
    const query =
      'Traces  \n| parse EventText with * "resourceName=" resourceName ", totalSlices=" totalSlices: long * "sliceNumber=" sliceNumber: long * "lockTime=" lockTime ", releaseTime=" releaseTime: date "," * "previousLockTime=" previousLockTime: date ")" *  \n| project resourceName, totalSlices, sliceNumber, lockTime, releaseTime, previousLockTime';
    expect(run([traces], query)).toEqual([
      { resourceName: "PipelineScheduler", totalSlices: 27, sliceNumber: 23, lockTime: "02/17/2016 08:40:01", releaseTime: "2016-02-17T08:40:01.0000000Z", previousLockTime: "2016-02-17T08:39:01.0000000Z" },
      { resourceName: "PipelineScheduler", totalSlices: 27, sliceNumber: 15, lockTime: "02/17/2016 08:40:00", releaseTime: "2016-02-17T08:40:00.0000000Z", previousLockTime: "2016-02-17T08:39:00.0000000Z" },
    ]);
  });

  it(doc("parse-operator", "extract email alias and DNS"), () => {
    const leads = table("Leads", "Contacts:string", [
      ["Event: LeadContact (email=john@contosohotel.com, Website=https:contosohotel.com)"],
      ["Event: LeadContact (email=abi@fourthcoffee.com, Website=https:www.fourthcoffee.com)"],
    ]);
    const query = 'Leads\n| parse Contacts with * "email=" alias:string "@" domain: string ", Website=https:" WebsiteDomain: string ")"\n| project EmailAddress=strcat(alias, "@", domain), EmailAlias=alias, WebsiteDomain';
    expect(run([leads], query)).toEqual([
      { EmailAddress: "john@contosohotel.com", EmailAlias: "john", WebsiteDomain: "contosohotel.com" },
      { EmailAddress: "abi@fourthcoffee.com", EmailAlias: "abi", WebsiteDomain: "www.fourthcoffee.com" },
    ]);
  });

  it(doc("parse-operator", "regex mode is greedy by default"), () => {
    expect(run([traces], "Traces\n| parse kind=regex EventText with * \"resourceName=\" resourceName ',' *\n| project resourceName")[0]).toEqual({
      resourceName: "PipelineScheduler, totalSlices=27, sliceNumber=23, lockTime=02/17/2016 08:40:01, releaseTime=02/17/2016 08:40:01",
    });
  });

  it(doc("parse-operator", "regex mode with the flags U (ungreedy) and i (case-insensitive)"), () => {
    expect(run([traces], "Traces\n| parse kind=regex flags=Ui EventText with * \"RESOURCENAME=\" resourceName ',' *\n| project resourceName")).toEqual([
      { resourceName: "PipelineScheduler" },
      { resourceName: "PipelineScheduler" },
    ]);
  });

  it(doc("parse-operator", "relaxed mode: only the columns that fail their type are null"), () => {
    const relaxed = table("Traces", "EventText:string", [
      ["Event: NotifySliceRelease (resourceName=PipelineScheduler, totalSlices=27, sliceNumber=23, lockTime=02/17/2016 08:40:01, releaseTime=nonValidDateTime 08:40:01, previousLockTime=02/17/2016 08:39:01)"],
      ["Event: NotifySliceRelease (resourceName=PipelineScheduler, totalSlices=nonValidLongValue, sliceNumber=16, lockTime=02/17/2016 08:41:00, releaseTime=02/17/2016 08:41:00, previousLockTime=02/17/2016 08:40:00)"],
    ]);
    const query =
      'Traces\n| parse kind=relaxed EventText with * "resourceName=" resourceName ", totalSlices=" totalSlices: long ", sliceNumber=" sliceNumber: long * "lockTime=" lockTime ", releaseTime=" releaseTime: date "," * "previousLockTime=" previousLockTime: date ")" *\n| project-away EventText';
    expect(run([relaxed], query)).toEqual([
      { resourceName: "PipelineScheduler", totalSlices: 27, sliceNumber: 23, lockTime: "02/17/2016 08:40:01", releaseTime: null, previousLockTime: "2016-02-17T08:39:01.0000000Z" },
      { resourceName: "PipelineScheduler", totalSlices: null, sliceNumber: 16, lockTime: "02/17/2016 08:41:00", releaseTime: "2016-02-17T08:41:00.0000000Z", previousLockTime: "2016-02-17T08:40:00.0000000Z" },
    ]);
  });
});

describe("where, extend, project, project-away, distinct, count, top, sort, take, union", () => {
  it(doc("where-operator", "order comparisons by complexity"), () => {
    const storms = table("StormEvents", "DamageProperty:long, EventType:string, BeginLocation:string, EndLocation:string", [
      [5000, "Flood", "FAYETTE CITY", "LOWBER"],
      [0, "Flood", "A", "B"],
      [10000, "Hail", "C", "D"],
      [7000, "Flood", "SAME", "SAME"],
    ]);
    const query = 'StormEvents\n| project DamageProperty, EventType, BeginLocation, EndLocation\n| where DamageProperty > 0\n    and EventType == "Flood"\n    and BeginLocation != EndLocation ';
    expect(run([storms], query)).toEqual([{ DamageProperty: 5000, EventType: "Flood", BeginLocation: "FAYETTE CITY", EndLocation: "LOWBER" }]);
  });

  it(doc("extend-operator", "a datetime difference is a timespan"), () => {
    const storms = table("StormEvents", "StartTime:datetime, EndTime:datetime", [
      ["2007-01-01T00:00:00Z", "2007-01-01T00:00:00Z"],
      ["2007-01-01T03:37:00Z", "2007-01-01T04:37:00Z"],
      ["2007-01-01T00:00:00Z", "2007-01-01T05:00:00Z"],
    ]);
    expect(run([storms], "StormEvents\n| project EndTime, StartTime\n| extend Duration = EndTime - StartTime")).toEqual([
      { EndTime: "2007-01-01T00:00:00.0000000Z", StartTime: "2007-01-01T00:00:00.0000000Z", Duration: "00:00:00" },
      { EndTime: "2007-01-01T04:37:00.0000000Z", StartTime: "2007-01-01T03:37:00.0000000Z", Duration: "01:00:00" },
      { EndTime: "2007-01-01T05:00:00.0000000Z", StartTime: "2007-01-01T00:00:00.0000000Z", Duration: "05:00:00" },
    ]);
  });

  it(doc("project-operator", "renames and computed columns, then a filter on them"), () => {
    const storms = table("StormEvents", "BeginLocation:string, InjuriesDirect:long, InjuriesIndirect:long", [["LYDIA", 15, 0], ["GOTHENBURG", 4, 5], ["ROYAL", 2, 1]]);
    expect(run([storms], "StormEvents\n| project StartLocation = BeginLocation, TotalInjuries = InjuriesDirect + InjuriesIndirect\n| where TotalInjuries > 5")).toEqual([
      { StartLocation: "LYDIA", TotalInjuries: 15 },
      { StartLocation: "GOTHENBURG", TotalInjuries: 9 },
    ]);
  });

  it(doc("project-away-operator", "project-away a column"), () => {
    const population = table("PopulationData", "State:string, Population:long", [["ALABAMA", 4918690], ["ALASKA", 727951]]);
    expect(run([population], "PopulationData\n| project-away Population")).toEqual([{ State: "ALABAMA" }, { State: "ALASKA" }]);
  });

  it(doc("project-away-operator", "project-away using a column name pattern"), () => {
    const sessions = table("ConferenceSessions", "conference:string, sessionid:string, session_title:string, owner:string", [["PASS Summit 2019", "PRT103", "Kusto", "Avner Aharoni"]]);
    expect(run([sessions], "ConferenceSessions\n| project-away session*")).toEqual([{ conference: "PASS Summit 2019", owner: "Avner Aharoni" }]);
  });

  it(doc("distinct-operator", "distinct State, EventType"), () => {
    const storms = table("StormEvents", "State:string, EventType:string, InjuriesDirect:long", [
      ["TEXAS", "Winter Weather", 50],
      ["KANSAS", "Tornado", 60],
      ["TEXAS", "Winter Weather", 70],
      ["OKLAHOMA", "Excessive Heat", 10],
    ]);
    expect(run([storms], "StormEvents\n| where InjuriesDirect > 45\n| distinct State, EventType")).toEqual([
      { State: "TEXAS", EventType: "Winter Weather" },
      { State: "KANSAS", EventType: "Tornado" },
    ]);
  });

  const states = table("StormEvents", "State:string", [["FLORIDA"], ["GEORGIA"], ["NEW YORK"], ["TEXAS"], ["florida"]]);

  it(doc("count-operator", "count the rows"), () => {
    expect(run([states], "StormEvents | count")).toEqual([{ Count: 5 }]);
  });

  it(doc("top-operator", "top 3 by InjuriesDirect"), () => {
    const storms = table("StormEvents", "InjuriesDirect:long", [[200], [5], [null], [519], [422], [0]]);
    expect(run([storms], "StormEvents\n| top 3 by InjuriesDirect")).toEqual([{ InjuriesDirect: 519 }, { InjuriesDirect: 422 }, { InjuriesDirect: 200 }]);
  });

  it(doc("sort-operator", "sort by State asc, StartTime desc"), () => {
    const storms = table("StormEvents", "StartTime:datetime, State:string", [
      ["2007-12-20T18:15:00Z", "ALABAMA"],
      ["2007-12-28T12:10:00Z", "ALABAMA"],
      ["2007-12-01T00:00:00Z", "ALASKA"],
      ["2007-12-28T04:30:00Z", "ALABAMA"],
    ]);
    expect(run([storms], "StormEvents\n| sort by State asc, StartTime desc")).toEqual([
      { StartTime: "2007-12-28T12:10:00.0000000Z", State: "ALABAMA" },
      { StartTime: "2007-12-28T04:30:00.0000000Z", State: "ALABAMA" },
      { StartTime: "2007-12-20T18:15:00.0000000Z", State: "ALABAMA" },
      { StartTime: "2007-12-01T00:00:00.0000000Z", State: "ALASKA" },
    ]);
  });

  it(doc("sort-operator", "null and NaN sort together, at the end the nulls clause names"), () => {
    const values = table("T", "v:real", [[5], [null], [-5], [Number.NaN], [0], [Number.POSITIVE_INFINITY], [Number.NEGATIVE_INFINITY]] as Json[][]);
    const order = (clause: string) => run([values], `T | sort by v ${clause}`).map((r) => (r.v === null ? "null" : String(r.v)));
    expect(order("asc nulls first")).toEqual(["null", "NaN", "-Infinity", "-5", "0", "5", "Infinity"]);
    expect(order("desc nulls first")).toEqual(["null", "NaN", "Infinity", "5", "0", "-5", "-Infinity"]);
    // The page's table leaves out one value in each nulls-last row; both are here.
    expect(order("asc nulls last")).toEqual(["-Infinity", "-5", "0", "5", "Infinity", "NaN", "null"]);
    expect(order("desc nulls last")).toEqual(["Infinity", "5", "0", "-5", "-Infinity", "NaN", "null"]);
  });

  it(doc("take-operator", "take returns the number of rows asked for"), () => {
    expect(run([states], "StormEvents | take 2")).toHaveLength(2);
    expect(compile([states], "StormEvents | take 2").truncating).toBe(true);
  });

  it(doc("union-operator", "source columns types mismatch: one column per type, suffixed"), () => {
    const v1 = table("View_1", "x:long", [[1]]);
    const v2 = table("View_2", "x:int", [[2]]);
    expect(run([v1, v2], "union withsource=TableName View_1, View_2")).toEqual([
      { TableName: "View_1", x_long: 1, x_int: null },
      { TableName: "View_2", x_long: null, x_int: 2 },
    ]);
  });

  it(doc("union-operator", "a suffixed name that is taken is de-duplicated"), () => {
    const v1 = table("View_1", "x:long", [[1]]);
    const v2 = table("View_2", "x:int", [[2]]);
    const v3 = table("View_3", "x_long:long", [[3]]);
    expect(run([v1, v2, v3], "union withsource=TableName View_1, View_2, View_3 ")).toEqual([
      { TableName: "View_1", x_long1: 1, x_int: null, x_long: null },
      { TableName: "View_2", x_long1: null, x_int: 2, x_long: null },
      { TableName: "View_3", x_long1: null, x_int: null, x_long: 3 },
    ]);
  });
});
