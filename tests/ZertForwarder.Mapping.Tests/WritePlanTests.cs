using System.Text;
using ZertForwarder.Generator;
using ZertForwarder.Mapping.Tests.Support;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Mapping.Tests;

/// <summary>
/// The compiled write lists (<see cref="EcsPlan"/>, <see cref="RuleListPlan"/>) leave out only what cannot have a
/// value, so the documents are byte for byte those of walking every rule of the mapping files in order.
/// </summary>
public sealed class WritePlanTests
{
    private static readonly List<ZertRecord> Records =
    [
        .. SmfDumpGenerator.GenerateRecords(SmfDumpGenerator.DefaultSeed + 7, 3000, includeForeignRecords: false)
            .Where(r => r.IsZert)
            .Select(r => TestMappings.Parse(r.Bytes)),
    ];

    [Fact]
    public void The_generated_records_exercise_many_plans_including_configuration_events()
    {
        var facts = new RecordFacts();
        var keys = new HashSet<int>();
        foreach (var record in Records)
        {
            facts.Compute(record, TestMappings.Set);
            keys.Add(PlanKey.Of(record, facts.IsConnectionEvent) | (record.Subtype << 8));
        }
        Assert.True(keys.Count >= 8, $"only {keys.Count} distinct plans");
        Assert.Contains(keys, k => !PlanKey.IsConnectionEvent(k & 0xFF));
        Assert.Contains(keys, k => PlanKey.HasSection(k & 0xFF, ZertSection.Tls) && (k >> 8) == 11);
        Assert.Contains(keys, k => !PlanKey.HasSection(k & 0xFF, ZertSection.Tls) && (k >> 8) == 11);
    }

    [Fact]
    public void ECS_from_the_compiled_write_list_equals_the_walk_of_the_whole_rule_tree()
    {
        var set = TestMappings.Set;
        var normalizer = new ZertNormalizer(set);
        var facts = new RecordFacts();
        var kinds = new HashSet<EcsStepKind>();
        foreach (var record in Records)
        {
            var expected = TreeWalkEcs(set, record);
            Assert.Equal(expected, TestMappings.Render(normalizer.WriteEcs, record));
            facts.Compute(record, set);
            var plan = record.Subtype == 11 ? set.Ecs11 : set.Ecs12;
            kinds.UnionWith(plan.StepsFor(PlanKey.Of(record, facts.IsConnectionEvent)).Select(s => s.Kind));
        }
        // The tree walk evaluates every value through ValueEvaluator.Evaluate; the write list runs most of them as
        // direct steps, and each kind of step was compared.
        Assert.Equal(Enum.GetValues<EcsStepKind>().Order(), kinds.Order());
    }

    [Fact]
    public void Flat_and_LEEF_lists_leave_out_only_rules_without_a_value_for_the_record()
    {
        var set = TestMappings.Set;
        var facts = new RecordFacts();
        var scratch = new byte[128 * 1024];
        var left = 0;
        foreach (var record in Records)
        {
            facts.Compute(record, set);
            var key = PlanKey.Of(record, facts.IsConnectionEvent);
            var sub11 = record.Subtype == 11;
            foreach (var plan in new[] { sub11 ? set.FlatPlan11 : set.FlatPlan12, sub11 ? set.LeefPlan11 : set.LeefPlan12 })
            {
                var kept = plan.For(key);
                // Same order: the kept rules are a subsequence of all rules.
                Assert.Equal(kept, plan.All.Where(kept.Contains));
                foreach (var rule in plan.All.Where(r => !kept.Contains(r)))
                {
                    left++;
                    Assert.True(ValueEvaluator.Evaluate(rule, facts, set, scratch).Kind == ValueKind.None,
                        $"{rule.Target} was left out of the plan but has a value for {System.Text.Encoding.ASCII.GetString(facts.EventIdUtf8)}");
                }
            }
        }
        Assert.True(left > 0, "no plan left a rule out: the test checked nothing");
    }

    /// <summary>The writer before plans were compiled: every node, its section tested, every rule evaluated.</summary>
    private static string TreeWalkEcs(MappingSet set, ZertRecord record)
    {
        var facts = new RecordFacts();
        facts.Compute(record, set);
        var w = new CompactJsonWriter();
        w.Reset();
        var pending = new EcsNode[16];
        var scratch = new byte[128 * 1024];
        var opened = 0;
        w.WriteStartObject();
        Walk((record.Subtype == 11 ? set.Ecs11 : set.Ecs12).Root, 0);
        w.WriteEndObject();
        return Encoding.UTF8.GetString(w.Written);

        void Walk(EcsNode node, int depth)
        {
            foreach (var child in node.Items)
            {
                if (child.Section is { } section && !record.HasSection(section)) continue;
                if (child.Rule is { } rule)
                {
                    var v = ValueEvaluator.Evaluate(rule, facts, set, scratch);
                    if (v.Kind == ValueKind.None) continue;
                    for (; opened < depth; opened++) w.WriteStartObject(pending[opened].NamePrefix);
                    ZertNormalizer.WriteJsonValue(w, child.NamePrefix, in v, joinLists: false);
                }
                else
                {
                    pending[depth] = child;
                    Walk(child, depth + 1);
                    if (opened > depth)
                    {
                        w.WriteEndObject();
                        opened = depth;
                    }
                }
            }
        }
    }
}
