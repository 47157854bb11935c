using System.Globalization;
using System.Text;

namespace MyTorch.IO;

/// <summary>
/// Makes text taken from a file (or typed by a user) safe to put in an error message or a table: every control
/// character is escaped, so a name cannot move the cursor, colour the terminal or forge an extra line, and long text
/// is cut, saying how much was left out.
/// </summary>
public static class MessageText
{
    /// <summary>How many characters of one piece of file text a message shows by default.</summary>
    public const int DefaultMaxLength = 48;

    /// <summary>
    /// <paramref name="text"/> with control characters escaped (<c>\n</c>, <c>\t</c>, <c>\0</c>, <c>\x1B</c>,
    /// <c>\u202E</c>), cut to at most <paramref name="maxLength"/> characters of the original followed by
    /// <c>... (N more characters)</c>.
    /// </summary>
    public static string Clean(string? text, int maxLength = DefaultMaxLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxLength);
        if (text is null) return "";
        int keep = Math.Min(text.Length, maxLength);
        // Never split a surrogate pair: half of one is not text.
        if (keep < text.Length && keep > 0 && char.IsHighSurrogate(text[keep - 1])) keep--;
        if (keep == text.Length && !NeedsEscape(text)) return text;
        var result = new StringBuilder(keep + 32);
        for (int i = 0; i < keep; i++) Append(result, text, i);
        if (keep < text.Length)
            result.Append(CultureInfo.InvariantCulture, $"... ({text.Length - keep} more characters)");
        return result.ToString();
    }

    /// <summary><paramref name="text"/> cleaned as by <see cref="Clean"/> and put in single quotes, for a name in a message.</summary>
    public static string Quote(string? text, int maxLength = DefaultMaxLength) => "'" + Clean(text, maxLength) + "'";

    /// <summary>
    /// The first <paramref name="maxItems"/> of <paramref name="names"/>, each quoted by <see cref="Quote"/>, then
    /// <c>and N more</c> when there are more: a list of a file's columns or tensors that stays short.
    /// </summary>
    public static string List(IReadOnlyCollection<string> names, int maxItems = 8)
    {
        ArgumentNullException.ThrowIfNull(names);
        var shown = string.Join(", ", names.Take(maxItems).Select(n => Quote(n, 40)));
        return names.Count > maxItems ? string.Create(CultureInfo.InvariantCulture, $"{shown} and {names.Count - maxItems} more") : shown;
    }

    /// <summary>
    /// A whole message made one line of at most <paramref name="maxBytes"/> UTF-8 bytes: control characters escaped,
    /// and the end cut (with how many characters were left out) when it is longer.
    /// </summary>
    public static string OneLine(string? message, int maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 64);
        string escaped = Clean(message, int.MaxValue);
        if (Encoding.UTF8.GetByteCount(escaped) <= maxBytes) return escaped;
        // Room for the note; the note itself is ASCII.
        int budget = maxBytes - 40;
        int bytes = 0, end = 0;
        while (end < escaped.Length)
        {
            int width = char.IsSurrogatePair(escaped, end) ? 2 : 1;
            int size = Encoding.UTF8.GetByteCount(escaped.AsSpan(end, width));
            if (bytes + size > budget) break;
            bytes += size;
            end += width;
        }
        return escaped[..end] + string.Create(CultureInfo.InvariantCulture, $"... ({escaped.Length - end} more characters)");
    }

    /// <summary>Whether <paramref name="c"/> is escaped: C0 and C1 controls, DEL, line and paragraph separators, and bidirectional overrides.</summary>
    public static bool IsUnsafe(char c) =>
        char.IsControl(c) || c is '\u2028' or '\u2029' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069') or '\u200E' or '\u200F'
        || char.IsSurrogate(c);

    private static bool NeedsEscape(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsSurrogate(c))
            {
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
                return true;
            }
            if (IsUnsafe(c)) return true;
        }
        return false;
    }

    private static void Append(StringBuilder result, string text, int i)
    {
        char c = text[i];
        if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
        {
            result.Append(c);
            return;
        }
        if (char.IsLowSurrogate(c) && i > 0 && char.IsHighSurrogate(text[i - 1]))
        {
            result.Append(c);
            return;
        }
        if (!IsUnsafe(c))
        {
            result.Append(c);
            return;
        }
        result.Append(c switch
        {
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\0' => "\\0",
            _ when c < 0x100 => string.Create(CultureInfo.InvariantCulture, $"\\x{(int)c:X2}"),
            _ => string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}"),
        });
    }
}
