using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ZertForwarder.Generator;
using ZertForwarder.Mapping.Tests.Support;

namespace ZertForwarder.Mapping.Tests;

/// <summary>
/// Issue 10 "one derivation": ECS, LEEF and flat are written from the same per-record facts, so every value they
/// share is the same. Walks every record of a large generated dump (every event type, protocol and certificate
/// shape the generator makes) and compares, value by value: flat with LEEF (every LEEF custom key), ECS with flat
/// (every flat name whose rule has the same definition as an ECS rule), and ECS with the LEEF predefined keys.
/// </summary>
public sealed class FormatAgreementTests
{
    /// <summary>Flat names whose ECS counterpart is deliberately spelled differently (same fact, other form).</summary>
    private static readonly Dictionary<string, string> DifferentForm = new(StringComparer.Ordinal)
    {
        ["TLS_PROTOCOL_VERSION"] = "IBM's name (TLSv1.2); ECS splits it into tls.version_protocol / tls.version",
        ["SUMMARY_INTERVAL"] = "same value",
    };

    /// <summary>
    /// Conditions under which ECS writes a value that flat and LEEF write more often, by design: ECS writes a
    /// certificate time's type only for a type table V.22 does not name, since for a known type <c>not_after</c>
    /// already says it (mappings/README.md); the flat <c>*_NOTAFTER_TYPE</c> names it for every certificate time.
    /// </summary>
    private static readonly HashSet<(RuleCondition Ecs, RuleCondition Flat)> DifferentCondition = [(RuleCondition.UnknownCode, RuleCondition.Always)];

    /// <summary>What a rule writes and when: <see cref="Value"/> and its condition, exactly.</summary>
    private static string Key(FieldRule r) => $"{Value(r)}|{r.Only}";

    /// <summary>What a rule writes: its definition, derived value or constant.</summary>
    private static string Value(FieldRule r) => $"{Definition(r)}|{(r.Convert == Converter.Derived ? r.Derived : "")}|{r.Constant}";

    /// <summary>What a rule reads and how it converts it (not when it is written).</summary>
    private static string Definition(FieldRule r) => $"{r.Convert}|{r.Field?.Name}|{r.BaseField?.Name}|{r.Mask}|{r.DnType}";

    [Fact]
    public void Every_flat_field_that_ECS_also_writes_has_the_same_definition()
    {
        foreach (var subtype in new[] { 11, 12 })
        {
            var set = TestMappings.Set;
            var ecs = (subtype == 11 ? set.Ecs11 : set.Ecs12).Rules;
            var flat = subtype == 11 ? set.Flat11 : set.Flat12;
            var diverging = flat
                .Where(f => f.Field is not null && !DifferentForm.ContainsKey(f.Target))
                .Where(f => ecs.Any(e => e.Field == f.Field && e.Mask == f.Mask) && !ecs.Any(e => Definition(e) == Definition(f)))
                .Select(f => $"{subtype} {f.Target} ({f.Convert} of {f.Field!.Name})").ToList();
            Assert.True(diverging.Count == 0, "flat fields converted differently from ECS: " + string.Join("; ", diverging));
        }
    }

    /// <summary>
    /// A flat rule that reads and converts what an ECS rule does is written under the same <c>"only"</c> condition:
    /// otherwise flat and LEEF report a fact where ECS says it does not exist (the zero counters of a configuration
    /// event, where ECS says <c>connection_events</c>; output contract §2: absent facts are omitted), and the value
    /// comparison below, which pairs rules by their condition too, silently skips the pair.
    /// </summary>
    [Fact]
    public void Every_flat_field_that_ECS_also_writes_has_the_same_condition()
    {
        var set = TestMappings.Set;
        var diverging = new[] { 11, 12 }.SelectMany(subtype =>
        {
            var ecs = (subtype == 11 ? set.Ecs11 : set.Ecs12).Rules;
            return (subtype == 11 ? set.Flat11 : set.Flat12)
                .Select(f => (Flat: f, Ecs: ecs.Where(e => Value(e) == Value(f)).ToList()))
                .Where(p => p.Ecs.Count > 0 && !p.Ecs.Any(e => e.Only == p.Flat.Only || DifferentCondition.Contains((e.Only, p.Flat.Only))))
                .Select(p => $"{subtype} {p.Flat.Target} ({p.Flat.Only}; ECS {string.Join(", ", p.Ecs.Select(e => $"{e.Target} {e.Only}"))})");
        }).ToList();
        Assert.True(diverging.Count == 0, "flat fields written under another condition than ECS: " + string.Join("; ", diverging));
    }

    [Fact]
    public void ECS_LEEF_and_flat_agree_on_every_shared_value_of_twenty_thousand_generated_records()
    {
        var records = SmfDumpGenerator.GenerateRecords(seed: 1010, 20_000, includeForeignRecords: false);
        var offsets = records.GroupBy(r => r.SystemId).ToDictionary(g => g.Key, g => g.First().UtcOffset, StringComparer.Ordinal);
        var set = MappingSet.Load(TestMappings.Directory, new MappingOptions { UtcOffsets = offsets, SurfaceEnforcementRuleName = true, LeefEnforcementRaw = true, LeefMaxLineLength = 0 });
        var normalizer = set.CreateNormalizer();
        // Each flat rule's ECS twin (same definition), worked out once per subtype.
        var twins = new[] { 11, 12 }.ToDictionary(st => st, st =>
        {
            var ecsRules = (st == 11 ? set.Ecs11 : set.Ecs12).Rules;
            return (st == 11 ? set.Flat11 : set.Flat12)
                .Select(f => (Flat: f, Ecs: ecsRules.FirstOrDefault(e => Key(e) == Key(f))))
                .Where(p => p.Ecs is not null).Select(p => (p.Flat, Ecs: p.Ecs!)).ToList();
        });
        Assert.True(twins[11].Count >= 140, $"only {twins[11].Count} flat fields of 119-11 have an ECS twin");
        var compared = 0L;
        var tlsAlgorithmsCompared = 0;
        foreach (var generated in records.Where(r => r.IsZert))
        {
            var record = TestMappings.Parse(generated.Bytes);
            var ecs = JsonNode.Parse(TestMappings.Render(normalizer.WriteEcs, record))!.AsObject();
            var flat = JsonNode.Parse(TestMappings.Render(normalizer.WriteFlat, record))!.AsObject();
            var (_, attributes) = LeefAndValidationTests.ParseLeef(TestMappings.Render(normalizer.WriteLeef, record));
            var leef = attributes.ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);
            var id = (string)ecs["event"]!["id"]!;

            // Flat = LEEF: every flat name but the message is a LEEF key with the same text.
            foreach (var (name, value) in flat)
            {
                if (name == "MESSAGE")
                {
                    Assert.False(leef.ContainsKey(name), $"{id}: LEEF carries MESSAGE");
                    continue;
                }
                Assert.True(leef.TryGetValue(name, out var text), $"{id}: LEEF lacks {name}");
                Assert.Equal(Text(value!).Replace('\t', ' ').Replace('\r', ' ').Replace('\n', ' '), text);
                compared++;
            }

            // ECS = flat for every rule pair with the same definition.
            foreach (var (rule, twin) in twins[record.Subtype])
            {
                var ecsValue = At(ecs, twin.Target);
                var flatValue = flat[rule.Target];
                Assert.True((ecsValue is null) == (flatValue is null), $"{id}: {twin.Target} is {ecsValue?.ToJsonString() ?? "absent"} but {rule.Target} is {flatValue?.ToJsonString() ?? "absent"}");
                if (ecsValue is null) continue;
                Assert.True(Text(ecsValue) == Text(flatValue!), $"{id}: {twin.Target} = {Text(ecsValue)} but {rule.Target} = {Text(flatValue!)}");
                if (rule.Target is "TLS_ENCRYPTION_ALG" or "TLS_MESSAGE_AUTH" or "TLS_KEY_EXCHANGE") tlsAlgorithmsCompared++;
                compared++;
            }

            // ECS = LEEF predefined keys (contract §4).
            Assert.Equal(id, leef["externalId"]);
            var timestamp = DateTimeOffset.Parse((string)ecs["@timestamp"]!, CultureInfo.InvariantCulture);
            Assert.Equal(timestamp.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), leef["devTime"]);
            if (ecs["network"]?["iana_number"] is { } proto) Assert.Equal((string)proto!, leef["proto"]);
            if (ecs["client"]?["ip"] is { } clientIp) Assert.Equal((string)clientIp!, leef["src"]);
            if (ecs["server"]?["ip"] is { } serverIp) Assert.Equal((string)serverIp!, leef["dst"]);
            if (ecs["client"]?["port"] is { } clientPort) Assert.Equal(Text(clientPort), leef["srcPort"]);
            if (ecs["server"]?["port"] is { } serverPort) Assert.Equal(Text(serverPort), leef["dstPort"]);
            var score = (double)ecs["event"]!["risk_score"]!;
            Assert.Equal(Math.Clamp((int)Math.Ceiling(score / 10), 1, 10).ToString(CultureInfo.InvariantCulture), leef["sev"]);
            Assert.Equal((string)ecs["host"]!["name"]!, leef["identHostName"]); // output contract §4: the system name
            if (ecs["message"] is { } message) Assert.Equal((string)message!, (string)flat["MESSAGE"]!);
            compared += 4;
        }
        Assert.True(tlsAlgorithmsCompared > 5000, $"only {tlsAlgorithmsCompared} TLS algorithm values compared");
        Assert.True(compared > 1_000_000, $"only {compared} values compared");
    }

    private static JsonNode? At(JsonObject root, string dotted)
    {
        JsonNode? node = root;
        foreach (var part in dotted.Split('.'))
        {
            node = (node as JsonObject)?[part];
            if (node is null) return null;
        }
        return node;
    }

    /// <summary>A value as the flat and LEEF formats write it: lists comma-joined, numbers and booleans as JSON text.</summary>
    private static string Text(JsonNode node) => node switch
    {
        JsonArray a => string.Join(',', a.Select(i => Text(i!))),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<double>().ToString("R", CultureInfo.InvariantCulture),
        _ => node.ToJsonString(),
    };
}
