using ZertForwarder.Forwarding;
using ZertForwarder.Smf.Framing;

namespace ZertForwarder.Commands;

/// <summary>Parsing of input-related option values.</summary>
internal static class InputOptions
{
    /// <summary>The <c>--container</c> argument, spelled as the <c>Input:Container</c> setting is; an unknown one is added to <paramref name="problems"/>.</summary>
    public static SmfContainer ParseContainer(string value, List<string> problems)
    {
        foreach (var container in Enum.GetValues<SmfContainer>())
        {
            if (string.Equals(ChoiceNames.Of(container), value, StringComparison.OrdinalIgnoreCase)) return container;
        }
        problems.Add($"unknown container '{value}': use {ChoiceNames.Choices(typeof(SmfContainer))}");
        return default;
    }
}
