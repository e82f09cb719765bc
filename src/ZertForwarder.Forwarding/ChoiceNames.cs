using System.Text;

namespace ZertForwarder.Forwarding;

/// <summary>
/// How a choice (an enum-typed setting) is written in the configuration and in messages: the member's name in lower
/// case with hyphens between words, so <c>SyslogFraming.OctetCounting</c> is <c>octet-counting</c> (README "Configuration").
/// </summary>
internal static class ChoiceNames
{
    public static string Of(string member)
    {
        var name = new StringBuilder(member.Length + 4);
        for (var i = 0; i < member.Length; i++)
        {
            if (i > 0 && char.IsUpper(member[i])) name.Append('-');
            name.Append(char.ToLowerInvariant(member[i]));
        }
        return name.ToString();
    }

    public static string Of<TEnum>(TEnum value) where TEnum : struct, Enum => Of(value.ToString());

    /// <summary>"a, b or c" in configuration spelling.</summary>
    public static string Choices(Type enumType)
    {
        var names = Enum.GetNames(enumType).Select(Of).ToList();
        return names.Count == 1 ? names[0] : string.Join(", ", names[..^1]) + " or " + names[^1];
    }
}
