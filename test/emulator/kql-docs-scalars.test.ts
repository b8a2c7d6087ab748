// The evaluator's scalar operators and functions against Kusto's own documentation (see kql-docs-operators.test.ts
// for how a page's example becomes a test). `print e` is `T | project Column = e` over a one-row table T.
import { describe, expect, it } from "vitest";
import { doc, ONE, range, run, table } from "./support/kusto-docs.ts";
import type { Json } from "../../emulator/resource-graph/values.ts";

/** The value of one expression, as `print` shows it. */
const value = (expr: string, inputs = [ONE]) => run(inputs, `T | project v = ${expr}`)[0]?.v;

describe("string operators", () => {
  // Every row of the page's operator table, with its "Example (yields true)".
  it.each([
    '"aBc" == "aBc"',
    '"abc" != "ABC"',
    '"abc" =~ "ABC"',
    '"aBc" !~ "xyz"',
    '"FabriKam" contains "BRik"',
    '"Fabrikam" !contains "xyz"',
    '"FabriKam" contains_cs "Kam"',
    '"Fabrikam" !contains_cs "Kam"',
    '"Fabrikam" endswith "Kam"',
    '"Fabrikam" !endswith "brik"',
    '"Fabrikam" endswith_cs "kam"',
    '"Fabrikam" !endswith_cs "brik"',
    '"North America" has "america"',
    '"North America" !has "amer"',
    '"North and South America" has_all("south", "north")',
    '"North America" has_any("south", "north")',
    '"North America" has_cs "America"',
    '"North America" !has_cs "amer"',
    '"North America" hasprefix "ame"',
    '"North America" !hasprefix "mer"',
    '"North America" hasprefix_cs "Ame"',
    '"North America" !hasprefix_cs "CA"',
    '"North America" hassuffix "ica"',
    '"North America" !hassuffix "americ"',
    '"North America" hassuffix_cs "ica"',
    '"North America" !hassuffix_cs "icA"',
    '"abc" in ("123", "345", "abc")',
    '"bca" !in ("123", "345", "abc")',
    '"Abc" in~ ("123", "345", "abc")',
    '"bCa" !in~ ("123", "345", "ABC")',
    '"Fabrikam" matches regex "b.*k"',
    '"Fabrikam" startswith "fab"',
    '"Fabrikam" !startswith "kam"',
    '"Fabrikam" startswith_cs "Fab"',
    '"Fabrikam" !startswith_cs "fab"',
  ])(doc("datatypes-string-operators", "%s yields true"), (expr) => {
    expect(value(expr)).toBe(true);
  });

  it(doc("datatypes-string-operators", "has matches terms, contains substrings"), () => {
    expect(value('"KustoExplorerQueryRun" has "Explorer"')).toBe(false);
    expect(value('"KustoExplorerQueryRun" contains "Explorer"')).toBe(true);
  });

  const events = table("StormEvents", "State:string", [["NEW YORK"], ["NEW JERSEY"], ["KANSAS"], ["PENNSYLVANIA"], ["TENNESSEE"], ["LOUISIANA"], ["NEW YORK"]]);
  it.each([
    ["has-operator", 'where State has "New"', ["NEW YORK", "NEW JERSEY"]],
    ["contains-operator", 'where State contains "enn"', ["PENNSYLVANIA", "TENNESSEE"]],
    ["startswith-operator", 'where State startswith "Lo"', ["LOUISIANA"]],
  ])("%s: a case-insensitive filter over the states (https://learn.microsoft.com/kusto/query/%s)", (_page, filter, states) => {
    expect(run([events], `StormEvents\n| summarize event_count=count() by State\n| ${filter}\n| project State, event_count`).map((r) => r.State)).toEqual(states);
  });

  it(doc("equals-operator", 'State =~ "kansas"'), () => {
    const storms = table("StormEvents", "EventId:long, State:string", [[70787, "KANSAS"], [1, "TEXAS"]]);
    expect(run([storms], 'StormEvents\n| where State =~ "kansas"\n| project EventId, State')).toEqual([{ EventId: 70787, State: "KANSAS" }]);
  });

  const states = table("StormEvents", "State:string", [["FLORIDA"], ["Georgia"], ["NEW YORK"], ["TEXAS"], ["ATLANTIC SOUTH"]]);
  it(doc("in-operator", "in~ over a list of scalars and over a dynamic array"), () => {
    expect(run([states], 'StormEvents \n| where State in~ ("FLORIDA", "georgia", "NEW YORK") \n| count')).toEqual([{ Count: 3 }]);
    expect(run([states], 'StormEvents \n| where State in~ (dynamic(["FLORIDA", "georgia", "NEW YORK"])) \n| count')).toEqual([{ Count: 3 }]);
  });

  it(doc("in-cs-operator", "in is case-sensitive"), () => {
    expect(run([states], 'StormEvents \n| where State in ("FLORIDA", "GEORGIA", "NEW YORK") \n| count')).toEqual([{ Count: 2 }]);
    expect(run([states], "StormEvents \n| where State in (dynamic(['FLORIDA', 'ATLANTIC SOUTH', 'GEORGIA']))\n| count")).toEqual([{ Count: 2 }]);
  });

  it(doc("not-in-operator", "!in~ over a list and a dynamic array"), () => {
    expect(run([states], 'StormEvents \n| where State !in~ ("Florida", "Georgia", "New York") \n| count')).toEqual([{ Count: 2 }]);
    expect(run([states], 'StormEvents \n| where State !in~ (dynamic(["Florida", "Georgia", "New York"])) \n| count')).toEqual([{ Count: 2 }]);
  });

  it(doc("in-operator", "has_any over a dynamic array"), () => {
    expect(run([states], 'StormEvents \n| where State has_any (dynamic(["FLORIDA", "georgia", "NEW YORK"]))\n| summarize count() by State').map((r) => r.State)).toEqual(["FLORIDA", "Georgia", "NEW YORK"]);
  });
});

describe("null values, logical operators, between", () => {
  it(doc("scalar-data-types/null-values", "comparisons with null; or with null"), () => {
    const t = table("T", "val:int", [[5], [null]]);
    const query = "T\n| extend IsBiggerThan3 = val > 3\n| extend IsBiggerThan3OrNull = val > 3 or isnull(val)\n| extend IsEqualToNull = val == int(null)\n| extend IsNotEqualToNull = val != int(null)";
    expect(run([t], query)).toEqual([
      { val: 5, IsBiggerThan3: true, IsBiggerThan3OrNull: true, IsEqualToNull: false, IsNotEqualToNull: true },
      { val: null, IsBiggerThan3: null, IsBiggerThan3OrNull: true, IsEqualToNull: null, IsNotEqualToNull: null },
    ]);
  });

  it(doc("scalar-data-types/null-values", "where keeps the row whose value is null != 5"), () => {
    const t = table("T", "ival:int, sval:string", [[5, "a"], [null, "b"]]);
    expect(run([t], "T\n| where ival != 5")).toEqual([{ ival: null, sval: "b" }]);
  });

  it(doc("scalar-data-types/null-values", "null is sticky in arithmetic"), () => {
    const t = table("T", "val:int", [[5], [null]]);
    expect(run([t], "T\n| extend Add = val + 10\n| extend Multiply = val * 10")).toEqual([
      { val: 5, Add: 15, Multiply: 50 },
      { val: null, Add: null, Multiply: null },
    ]);
  });

  it(doc("logical-operators", "bool(null) or true is true"), () => {
    expect(value("bool(null) or true")).toBe(true);
  });

  it(doc("between-operator", "x between (50 .. 55) is inclusive"), () => {
    expect(run([range("T", "x", 1, 100)], "T\n| where x between (50 .. 55)").map((r) => r.x)).toEqual([50, 51, 52, 53, 54, 55]);
  });

  it(doc("between-operator", "a datetime range given as a start and a timespan"), () => {
    const storms = table("StormEvents", "StartTime:datetime", [["2007-07-26T23:00:00Z"], ["2007-07-27T00:00:00Z"], ["2007-07-29T12:00:00Z"], ["2007-07-30T00:00:00Z"], ["2007-07-30T00:00:01Z"]]);
    expect(run([storms], "StormEvents\n| where StartTime between (datetime(2007-07-27) .. datetime(2007-07-30))\n| count")).toEqual([{ Count: 3 }]);
    expect(run([storms], "StormEvents\n| where StartTime between (datetime(2007-07-27) .. 3d)\n| count")).toEqual([{ Count: 3 }]);
  });

  it(doc("not-function", "not(EventType == \"Tornado\")"), () => {
    const storms = table("StormEvents", "State:string, EventType:string", [["TEXAS", "Tornado"], ["TEXAS", "Hail"], ["KANSAS", "Flood"]]);
    expect(run([storms], 'StormEvents \n| where not(EventType == "Tornado") \n| summarize count() by State')).toEqual([
      { State: "TEXAS", count_: 1 },
      { State: "KANSAS", count_: 1 },
    ]);
  });
});

describe("conditional functions", () => {
  it(doc("case-function", "buckets by size"), () => {
    const query = 'T\n| extend bucket = case(Size <= 3, "Small", \n                       Size <= 10, "Medium", \n                       "Large")';
    expect(run([range("T", "Size", 1, 15, 2)], query)).toEqual([
      { Size: 1, bucket: "Small" },
      { Size: 3, bucket: "Small" },
      { Size: 5, bucket: "Medium" },
      { Size: 7, bucket: "Medium" },
      { Size: 9, bucket: "Medium" },
      { Size: 11, bucket: "Large" },
      { Size: 13, bucket: "Large" },
      { Size: 15, bucket: "Large" },
    ]);
  });

  it(doc("iff-function", "classify data using iff()"), () => {
    const storms = table("StormEvents", "State:string, EventId:long, EventType:string", [["ATLANTIC SOUTH", 61032, "Waterspout"], ["FLORIDA", 60904, "Heavy Rain"], ["FLORIDA", 60913, "Tornado"]]);
    const query = 'StormEvents\n| extend Rain = iff((EventType in ("Heavy Rain", "Flash Flood", "Flood")), "Rain event", "Not rain event")\n| project State, EventId, EventType, Rain';
    expect(run([storms], query)).toEqual([
      { State: "ATLANTIC SOUTH", EventId: 61032, EventType: "Waterspout", Rain: "Not rain event" },
      { State: "FLORIDA", EventId: 60904, EventType: "Heavy Rain", Rain: "Rain event" },
      { State: "FLORIDA", EventId: 60913, EventType: "Tornado", Rain: "Not rain event" },
    ]);
  });

  it(doc("coalesce-function", "the first non-null argument"), () => {
    expect(value('coalesce(tolong("not a number"), tolong("42"), 33)')).toBe(42);
  });
});

describe("conversion functions", () => {
  it(doc("tostring-function", "tostring(123)"), () => {
    expect(value("tostring(123)")).toBe("123");
  });

  it.each([
    ["toint-function", 'toint("123") == 123'],
    ["tolong-function", 'tolong("123") == 123'],
    ["toreal-function", 'toreal("123.4") == 123.4'],
    ["tobool-function", 'tobool("true") == true'],
    ["tobool-function", 'tobool("false") == false'],
    ["tobool-function", "tobool(1) == true"],
    ["tobool-function", "tobool(123) == true"],
    ["tolower-function", 'tolower("Hello") == "hello"'],
    ["toupper-function", 'toupper("hello") == "HELLO"'],
  ])("%s: %s (https://learn.microsoft.com/kusto/query/%s)", (_page, expr) => {
    expect(value(expr)).toBe(true);
  });

  it(doc("toint-function", "toint(2.3) truncates"), () => {
    expect(value("toint(2.3)")).toBe(2);
  });

  it(doc("todatetime-function", 'todatetime("2015-12-31 23:59:59.9")'), () => {
    expect(value('todatetime("2015-12-31 23:59:59.9")')).toBe("2015-12-31T23:59:59.9000000Z");
  });

  it(doc("totimespan-function", "totimespan of a string and of spans"), () => {
    const query = 'T | project minsStr=totimespan("0.00:03:00"), days=totimespan(4d), hour=totimespan(5 * 1h), mins=totimespan(5 * 2m), seconds=totimespan(5 * 4s), timespanMin=timespan(25min)';
    expect(run([ONE], query)).toEqual([{ minsStr: "00:03:00", days: "4.00:00:00", hour: "05:00:00", mins: "00:10:00", seconds: "00:00:20", timespanMin: "00:25:00" }]);
  });

  it(doc("parse-json-function", "duration metrics parsing"), () => {
    const t = table("T", "context_custom_metrics:string", [['{"duration":{"value":118.0,"count":5.0,"min":100.0,"max":150.0,"stdDev":0.0,"sampledValue":118.0,"sum":118.0}}']]);
    expect(run([t], "T\n| extend d = parse_json(context_custom_metrics)\n| extend duration_value = d.duration.value, duration_min = d.duration.min")[0]).toMatchObject({
      d: { duration: { value: 118, count: 5, min: 100, max: 150, stdDev: 0, sampledValue: 118, sum: 118 } },
      duration_value: 118,
      duration_min: 100,
    });
  });

  it(doc("parse-json-function", "nested JSON parsing"), () => {
    const t = table("T", "d:string", [['{"a":123, "b":"{\\"c\\":456}"}']]);
    expect(run([t], "T | project d_b_c=parse_json(tostring(parse_json(d).b)).c")).toEqual([{ d_b_c: 456 }]);
  });

  // The page writes todate(); Kusto's binder knows only todatetime(), its other name.
  it(doc("scalar-data-types/dynamic", "casting dynamic objects"), () => {
    const t = table("T", "X:dynamic, Y:dynamic", [[[100, 101, 102], { a1: 100, "a b c": "2015-01-01" }]]);
    expect(run([t], 'T | project x0 = X[0], x1 = toint(X[1]), a1 = Y.a1, abc = Y["a b c"], d = todatetime(Y["a b c"])')).toEqual([
      { x0: 100, x1: 101, a1: 100, abc: "2015-01-01", d: "2015-01-01T00:00:00.0000000Z" },
    ]);
  });
});

describe("string functions", () => {
  it(doc("strcat-function", "concatenated string"), () => {
    expect(value('strcat("hello", " ", "world")')).toBe("hello world");
  });

  it(doc("strlen-function", "letters, symbols and a grapheme of two code points"), () => {
    expect(value('strlen("hello")')).toBe(5);
    expect(value('strlen("⒦⒰⒮⒯⒪")')).toBe(5);
    expect(value("strlen('C\u0327edilla')")).toBe(8);
  });

  it.each([
    ['substring("123456", 1)', "23456"],
    ['substring("123456", 2, 2)', "34"],
    ['substring("ABCD", 0, 2)', "AB"],
    ['substring("123456", -2, 2)', "56"],
  ])(doc("substring-function", "%s is %s"), (expr, expected) => {
    expect(value(expr)).toBe(expected);
  });

  it(doc("split-function", "the page's five splits"), () => {
    expect(run([ONE], 'T | project split("aa_bb", "_"), split("aaa_bbb_ccc", "_", 1), split("", "_"), split("a__b", "_"), split("aabbcc", "bb")').map(Object.values)).toEqual([
      [["aa", "bb"], ["bbb"], [""], ["a", "", "b"], ["aa", "cc"]],
    ]);
  });

  it(doc("replace-string-function", "replace words in a string"), () => {
    const t = table("T", "Message:string", [["A magic trick can turn a cat into a dog"]]);
    expect(run([t], 'T\n| extend Outcome = replace_string(\n        Message, "cat", "hamster")')).toEqual([{ Message: "A magic trick can turn a cat into a dog", Outcome: "A magic trick can turn a hamster into a dog" }]);
  });

  it(doc("extract-function", "user name, email and age"), () => {
    const t = table("T", "Text:string", [["User: James, Email: James@example.com, Age: 29"], ["User: David, Age: 35"]]);
    const query = 'T |\nextend UserName = extract("User: ([^,]+)", 1, Text),\n       EmailId = extract(@"Email: (\\S+),", 1, Text),\n       Age = extract(@"\\d+", 0, Text)';
    expect(run([t], query)).toEqual([
      { Text: "User: James, Email: James@example.com, Age: 29", UserName: "James", EmailId: "James@example.com", Age: "29" },
      { Text: "User: David, Age: 35", UserName: "David", EmailId: "", Age: "35" },
    ]);
  });

  it(doc("extract-function", "the month as an int, with typeof(int)"), () => {
    const t = table("Dates", "DateString:string", [["15-12-2024"], ["21-07-2023"], ["10-03-2022"]]);
    expect(run([t], 'Dates\n| extend Month = extract(@"-(\\d{2})-", 1, DateString, typeof(int))\n| project DateString, Month')).toEqual([
      { DateString: "15-12-2024", Month: 12 },
      { DateString: "21-07-2023", Month: 7 },
      { DateString: "10-03-2022", Month: 3 },
    ]);
  });

  it(doc("regex", "(?i) at the start of a pattern makes it case-insensitive"), () => {
    expect(value('extract("(?i)/protecteditems/([^/]+)", 1, "/backupFabrics/Azure/protectionContainers/c/protectedItems/VM;x")')).toBe("VM;x");
  });
});

describe("empty and null tests", () => {
  it.each<[string, boolean, boolean]>([
    ['""', true, false],
    ['"x"', false, false],
    ['parsejson("")', true, true],
    ['parsejson("[]")', false, false],
    ['parsejson("{}")', false, false],
  ])("isempty-function and isnull-function: x = %s (https://learn.microsoft.com/kusto/query/isempty-function)", (x, empty, isNull) => {
    expect(value(`isempty(${x})`)).toBe(empty);
    expect(value(`isnull(${x})`)).toBe(isNull);
    expect(value(`isnotempty(${x})`)).toBe(!empty);
    expect(value(`isnotnull(${x})`)).toBe(!isNull);
  });

  it(doc("isnotnull-function", "isnotnull(BeginLat) and isnotnull(BeginLon)"), () => {
    const storms = table("StormEvents", "EventId:long, BeginLat:real, BeginLon:real", [[1, 30.5, null], [2, 31.2, -85.1], [3, null, null]]);
    expect(run([storms], "StormEvents\n| where isnotnull(BeginLat) and isnotnull(BeginLon)").map((r) => r.EventId)).toEqual([2]);
    expect(run([storms], "StormEvents\n| where isnull(BeginLat) and isnull(BeginLon)").map((r) => r.EventId)).toEqual([3]);
  });
});

describe("datetime and timespan", () => {
  it(doc("now-function", "now() minus a timespan column"), () => {
    // The page's now() is 2023-06-19T08:22:54.6623324Z; the emulator keeps microseconds, so its seventh digit is 0.
    const now = Date.parse("2023-06-19T08:22:54.662Z") * 1000 + 332;
    const t = table("T", "label:string, timespanValue:timespan", [["minute", "00:01:00"], ["hour", "01:00:00"], ["day", "1.00:00:00"], ["year", "365.00:00:00"]]);
    expect(run([t], "T \n| extend timeAgo = now() - timespanValue", now).map((r) => [r.label, r.timespanValue, r.timeAgo])).toEqual([
      ["minute", "00:01:00", "2023-06-19T08:21:54.6623320Z"],
      ["hour", "01:00:00", "2023-06-19T07:22:54.6623320Z"],
      ["day", "1.00:00:00", "2023-06-18T08:22:54.6623320Z"],
      ["year", "365.00:00:00", "2022-06-19T08:22:54.6623320Z"],
    ]);
  });

  it(doc("ago-function", "Timestamp > ago(1h)"), () => {
    const now = Date.now() * 1000;
    const t = table("T", "Timestamp:datetime", [[new Date(Date.now() - 30 * 60_000).toISOString()], [new Date(Date.now() - 90 * 60_000).toISOString()]]);
    expect(run([t], "T | where Timestamp > ago(1h)", now)).toHaveLength(1);
  });

  it(doc("bin-function", "bin of a real, a timespan and a datetime"), () => {
    expect(value("bin(4.5, 1)")).toBe(4);
    expect(value("bin(time(16d), 7d)")).toBe("14.00:00:00");
    expect(value("bin(datetime(1970-05-11 13:45:07), 1d)")).toBe("1970-05-11T00:00:00.0000000Z");
  });

  it(doc("scalar-data-types/timespan", "how many seconds are in a day"), () => {
    expect(run([ONE], "T | project result1 = 1d / 1s, result2 = time(1d) / time(1s), result3 = 24 * 60 * time(00:01:00) / time(1s)")).toEqual([{ result1: 86400, result2: 86400, result3: 86400 }]);
    expect(run([table("T", "seconds:long", [[86400]])], "T\n| extend t = seconds * 1s")).toEqual([{ seconds: 86400, t: "1.00:00:00" }]);
  });
});

describe("dynamic values", () => {
  it(doc("array-length-function", "array_length(dynamic([1, 2, 3, \"four\"]))"), () => {
    expect(value('array_length(dynamic([1, 2, 3, "four"]))')).toBe(4);
  });

  it(doc("pack-array-function", "pack_array of columns; a timespan is written as a string"), () => {
    const xs = range("T", "x", 1, 3);
    expect(run([xs], "T\n| extend y = x * 2\n| extend z = y * 2\n| project pack_array(x, y, z)")).toEqual([{ Column1: [1, 2, 4] }, { Column1: [2, 4, 8] }, { Column1: [3, 6, 12] }]);
    expect(run([xs], "T\n| extend y = tostring(x * 2)\n| extend z = (x * 2) * 1s\n| project pack_array(x, y, z)")).toEqual([
      { Column1: [1, "2", "00:00:02"] },
      { Column1: [2, "4", "00:00:04"] },
      { Column1: [3, "6", "00:00:06"] },
    ]);
  });

  it(doc("pack-function", "bag_pack of literals and of columns"), () => {
    expect(value('bag_pack("Level", "Information", "ProcessID", 1234, "Data", bag_pack("url", "www.bing.com"))')).toEqual({ Level: "Information", ProcessID: 1234, Data: { url: "www.bing.com" } });
    const t = table("T", "Source:int, Destination:int, Message:string", [[1234, 100, "Hi"], [4567, 200, "Hello"], [1212, 300, "Hey"]]);
    const query = 'T\n| extend MyBag=bag_pack("Dest", Destination, "Text", Message)\n| project-away Source, Destination, Message\n| extend MyBag_Dest=MyBag.Dest, MyBag_Text=MyBag.Text';
    expect(run([t], query)).toEqual([
      { MyBag: { Dest: 100, Text: "Hi" }, MyBag_Dest: 100, MyBag_Text: "Hi" },
      { MyBag: { Dest: 200, Text: "Hello" }, MyBag_Dest: 200, MyBag_Text: "Hello" },
      { MyBag: { Dest: 300, Text: "Hey" }, MyBag_Dest: 300, MyBag_Text: "Hey" },
    ] as Record<string, Json>[]);
  });
});
