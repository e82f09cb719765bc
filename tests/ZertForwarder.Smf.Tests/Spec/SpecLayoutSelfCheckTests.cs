using ZertForwarder.Smf.Tests.Spec;

namespace ZertForwarder.Smf.Tests.Spec;

/// <summary>Checks the test-side layout itself, so a typo in it cannot hide a decoder bug.</summary>
public sealed class SpecLayoutSelfCheckTests
{
    public static TheoryData<int, string> AllSections() => new()
    {
        { 11, "Identification" }, { 11, "Common" }, { 11, "IpFilter" }, { 11, "Tls" }, { 11, "Ssh" }, { 11, "Ipsec" },
        { 12, "Identification" }, { 12, "Common" }, { 12, "Tls" }, { 12, "Ssh" }, { 12, "Ipsec" },
    };

    [Theory]
    [MemberData(nameof(AllSections))]
    public void Rows_tile_the_section_exactly_from_0_to_its_known_length(int subtype, string name)
    {
        var section = SpecLayout.Section(subtype, name);
        var next = 0;
        foreach (var field in section.Fields)
        {
            Assert.True(field.Offset == next, $"{field.Name} starts at {field.Offset}, previous row ended at {next}");
            next = field.Offset + field.Length;
        }
        Assert.Equal(section.Length, next);
    }

    [Theory]
    [MemberData(nameof(AllSections))]
    public void Every_output_field_gets_a_planned_value(int subtype, string name)
    {
        var builder = subtype == 11 ? SpecRecordBuilder.ConnectionDetail() : SpecRecordBuilder.Summary();
        var plan = FieldPlan.FillAll(builder, ipv6: false, name);
        Assert.Equal(SpecLayout.Section(subtype, name).Fields.Where(f => f.IsOutput).Select(f => f.Name).Order(), plan.Keys.Order());
    }

    [Fact]
    public void Known_section_lengths_are_the_spec_ones()
    {
        // §1.2 / §2: 64, 128, 100, 168, 284, 236; §1.3 / §3 (3.2 forms): 64, 212, 116, 46, 148.
        Assert.Equal([64, 128, 100, 168, 284, 236], SpecLayout.Sections(11).Select(s => s.Length));
        Assert.Equal([64, 212, 116, 46, 148], SpecLayout.Sections(12).Select(s => s.Length));
    }
}
