using System.Diagnostics;
using System.Reflection;
using System.Reflection.Emit;
using ZertForwarder.Benchmarks;

namespace ZertForwarder.Host.Tests;

/// <summary>How <c>bench</c> tells a build compiled without optimizations (Debug) from an optimized one.</summary>
public sealed class BuildCheckTests
{
    [Theory]
    [InlineData(DebuggableAttribute.DebuggingModes.Default | DebuggableAttribute.DebuggingModes.DisableOptimizations
                | DebuggableAttribute.DebuggingModes.IgnoreSymbolStoreSequencePoints | DebuggableAttribute.DebuggingModes.EnableEditAndContinue, true)] // what Debug emits
    [InlineData(DebuggableAttribute.DebuggingModes.IgnoreSymbolStoreSequencePoints, false)] // what Release emits
    public void An_assembly_is_unoptimized_when_its_debugging_modes_disable_optimizations(DebuggableAttribute.DebuggingModes modes, bool unoptimized)
    {
        var constructor = typeof(DebuggableAttribute).GetConstructor([typeof(DebuggableAttribute.DebuggingModes)])!;
        var assembly = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName($"built-{(int)modes}"), AssemblyBuilderAccess.Run,
            [new CustomAttributeBuilder(constructor, [modes])]);

        Assert.Equal(unoptimized, BuildCheck.IsUnoptimized(assembly));
    }

    [Fact]
    public void An_assembly_without_the_attribute_is_not_taken_for_a_debug_build()
    {
        var assembly = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("no-attribute"), AssemblyBuilderAccess.Run);

        Assert.False(BuildCheck.IsUnoptimized(assembly));
    }

    [Fact]
    public void The_environment_of_the_measured_programs_can_turn_optimizations_off_too()
    {
        Assert.Contains(BuildCheck.Problems(new Dictionary<string, string?> { ["DOTNET_JITMinOpts"] = "1" }),
            p => p.Contains("DOTNET_JITMinOpts=1", StringComparison.Ordinal));
        Assert.DoesNotContain(BuildCheck.Problems(new Dictionary<string, string?> { ["DOTNET_JITMinOpts"] = "0" }),
            p => p.Contains("JITMinOpts", StringComparison.Ordinal));
    }
}
