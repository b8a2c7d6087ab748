/**
 * Scalar and aggregation functions Microsoft's own Resource Graph queries are known to use, so a
 * rule that calls anything else gets a warning to try it in Resource Graph Explorer first (Resource
 * Graph runs "a subset" of KQL's functions and publishes no list).
 * Gathered from: the 451 queries of Azure/Azure-Proactive-Resiliency-Library-v2 (commit 9b93db7),
 * the 1,817 Resource Graph queries of the Azure Monitor workbooks in
 * microsoft/Application-Insights-Workbooks (commit 1ea1c77, among them Azure Backup's own), and the
 * samples of articles/backup/query-backups-using-azure-resource-graph.md.
 */
export const EVIDENCED_FUNCTIONS: ReadonlySet<string> = new Set(
  (
    "ago any arg_max arg_min array_concat array_index_of array_length array_slice array_sort_asc bag_keys bag_remove_keys " +
    "base64_encode_tostring bin case coalesce count countif datetime_add datetime_diff dcount dcountif dynamic_to_json exp2 " +
    "extract extract_all extractall format_datetime format_ipv4 format_timespan hash iff iif indexof isempty isnotempty " +
    "isnotnull isnull make_bag make_list make_set make_set_if makelist makeset max min not notempty now pack pack_all pack_array " +
    "parse_ipv6 parse_json parse_version pow range replace replace_string round row_number set_has_element split strcat " +
    "strcat_array strcmp string_size strlen substring sum sumif take_any tobool todatetime todouble todynamic toint tolong " +
    "tolower toreal tostring totimespan toupper trim trim_end url_encode"
  ).split(" "),
);
