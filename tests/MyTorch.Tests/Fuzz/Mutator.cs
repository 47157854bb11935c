using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace MyTorch.Tests.Fuzz;

/// <summary>
/// A small seeded mutator in the style of AFL's havoc stage: each call stacks one to four random edits on a valid
/// file (bit flips, interesting bytes and integers, truncation, extension, deleted, duplicated or spliced ranges,
/// now and then plain random bytes). The same seed gives the same sequence of inputs on every machine.
/// </summary>
internal sealed class Mutator(int seed)
{
    private readonly Random random = new(seed);

    private static readonly long[] InterestingIntegers =
    [
        0, 1, -1, 2, 7, 8, 9, 16, 127, 128, 255, 256, 1024, 4096, 32767, 32768, 65535, 65536,
        int.MaxValue, int.MinValue, (long)int.MaxValue + 1, uint.MaxValue, 100_000_000, 100_000_001,
        long.MaxValue, long.MinValue, long.MaxValue / 8, 1L << 40,
    ];

    /// <summary>Numbers that stress text parsers: overflows, negatives, exponents, non-finite spellings.</summary>
    public static readonly string[] InterestingNumbers =
    [
        "0", "-0", "1", "-1", "2147483647", "2147483648", "-2147483649", "4294967296", "9223372036854775807",
        "9223372036854775808", "18446744073709551616", "99999999999999999999999999999", "1e308", "1e309", "-1e309",
        "1e-400", "0.5", "1.5", "-2.5", "NaN", "Infinity", "-Infinity", "nan", "inf", "1e", "--1", "+1", "0x10",
        "1_000", "1,5", "", " ", "100000000", "3.4e38", "3.5e38", "65535", "65536",
    ];

    /// <summary>Fragments that stress JSON and CSV tokenizers.</summary>
    public static readonly string[] InterestingTokens =
    [
        "\"", "\"\"", ",", ",,", "\n", "\r", "\r\n", "{", "}", "[", "]", ":", "null", "true", "[]", "{}", "\\", "\\u",
        "\\uD800", "\\uDC00\\uD800", "\\u0000", "\u00e9", "\ufeff", "\t", " ", "\0", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
        "/*", "//", "\"__metadata__\"", "\"dtype\":\"F16\"", "\"shape\":[2147483647,2147483647]", "\"data_offsets\":[0,18446744073709551615]",
        // Text that must never reach a terminal raw: escape sequences, a forged error line, C1 and bidirectional controls.
        "\u001b[31m", "\u001b]0;owned\u0007", "\nerror: forged line\n", "\u009b2J", "\u202e", "\u2028", "\u0085", "\u007f",
        // A token long enough that a message echoing it whole would be kilobytes.
        new string('A', 6000), "1" + new string('0', 6000),
    ];

    /// <summary>A random integer in [0, <paramref name="maxExclusive"/>).</summary>
    public int Next(int maxExclusive) => random.Next(maxExclusive);

    /// <summary>A random integer in [<paramref name="min"/>, <paramref name="maxExclusive"/>).</summary>
    public int Next(int min, int maxExclusive) => random.Next(min, maxExclusive);

    /// <summary>True with probability <paramref name="p"/>.</summary>
    public bool Chance(double p) => random.NextDouble() < p;

    /// <summary>One of <paramref name="items"/>.</summary>
    public T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];

    /// <summary>A mutated copy of <paramref name="input"/>; <paramref name="other"/> is spliced in now and then.</summary>
    public byte[] Mutate(byte[] input, byte[]? other = null)
    {
        if (Chance(0.02)) return RandomBytes(random.Next(0, 64) == 0 ? random.Next(0, 70_000) : random.Next(0, 300));
        var data = new List<byte>(input);
        int edits = 1 + random.Next(4);
        for (int e = 0; e < edits; e++) MutateOnce(data, other);
        return [.. data];
    }

    private void MutateOnce(List<byte> data, byte[]? other)
    {
        switch (random.Next(11))
        {
            case 0 when data.Count > 0:
                {
                    int i = random.Next(data.Count);
                    data[i] ^= (byte)(1 << random.Next(8));
                    break;
                }
            case 1 when data.Count > 0:
                data[random.Next(data.Count)] = Pick(new byte[] { 0, 1, 0x7F, 0x80, 0xFF, (byte)'0', (byte)'9', (byte)'"', (byte)',', (byte)'\n' });
                break;
            case 2 when data.Count > 0:
                Truncate(data);
                break;
            case 3:
                data.AddRange(RandomBytes(Chance(0.1) ? random.Next(1, 5000) : random.Next(1, 16)));
                break;
            case 4 when data.Count >= 4:
                WriteInteger(data);
                break;
            case 5 when data.Count > 1:
                {
                    int start = random.Next(data.Count);
                    int length = Math.Min(data.Count - start, 1 + random.Next(Math.Min(64, data.Count)));
                    data.RemoveRange(start, length);
                    break;
                }
            case 6 when data.Count > 1:
                {
                    int start = random.Next(data.Count);
                    int length = Math.Min(data.Count - start, 1 + random.Next(Math.Min(256, data.Count)));
                    var copy = data.GetRange(start, length);
                    data.InsertRange(random.Next(data.Count + 1), copy);
                    break;
                }
            case 7 when other is { Length: > 0 }:
                {
                    int at = random.Next(data.Count + 1);
                    int from = random.Next(other.Length);
                    int length = Math.Min(other.Length - from, 1 + random.Next(512));
                    data.RemoveRange(at, Math.Min(data.Count - at, random.Next(length + 1)));
                    data.InsertRange(at, other.AsSpan(from, length).ToArray());
                    break;
                }
            case 8:
                data.InsertRange(random.Next(data.Count + 1), Encoding.UTF8.GetBytes(Pick(Chance(0.5) ? InterestingTokens : InterestingNumbers)));
                break;
            case 9 when data.Count > 0:
                {
                    // Overwrite a run of bytes with one value, as a zeroed or 0xFF-filled disk block would.
                    int start = random.Next(data.Count);
                    int length = Math.Min(data.Count - start, 1 + random.Next(32));
                    byte value = Chance(0.5) ? (byte)0 : (byte)0xFF;
                    for (int i = 0; i < length; i++) data[start + i] = value;
                    break;
                }
            default:
                if (data.Count > 0) data[random.Next(data.Count)] = (byte)random.Next(256);
                break;
        }
    }

    private void Truncate(List<byte> data)
    {
        int keep = Chance(0.5) ? random.Next(Math.Min(data.Count, 64) + 1) : random.Next(data.Count + 1);
        data.RemoveRange(keep, data.Count - keep);
    }

    /// <summary>Overwrites 2, 4 or 8 bytes with an interesting integer, big- or little-endian.</summary>
    private void WriteInteger(List<byte> data)
    {
        int width = Pick(new[] { 2, 4, 4, 8 });
        if (data.Count < width) return;
        // Headers live at the front, so favour the first 64 bytes.
        int limit = Chance(0.7) ? Math.Min(64, data.Count - width + 1) : data.Count - width + 1;
        int at = random.Next(limit);
        long value = Pick(InterestingIntegers);
        if (Chance(0.3)) value += random.Next(-2, 3);
        Span<byte> bytes = stackalloc byte[8];
        bool big = Chance(0.5);
        switch (width)
        {
            case 2:
                if (big) BinaryPrimitives.WriteInt16BigEndian(bytes, (short)value); else BinaryPrimitives.WriteInt16LittleEndian(bytes, (short)value);
                break;
            case 4:
                if (big) BinaryPrimitives.WriteInt32BigEndian(bytes, (int)value); else BinaryPrimitives.WriteInt32LittleEndian(bytes, (int)value);
                break;
            default:
                if (big) BinaryPrimitives.WriteInt64BigEndian(bytes, value); else BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
                break;
        }
        for (int i = 0; i < width; i++) data[at + i] = bytes[i];
    }

    /// <summary><paramref name="count"/> random bytes.</summary>
    public byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>
    /// A mutated copy of a text (JSON or CSV): numbers swapped for interesting ones, tokens inserted, ranges deleted
    /// or duplicated, so the result still looks enough like the format to get past the first checks.
    /// </summary>
    public string MutateText(string text)
    {
        var builder = new StringBuilder(text);
        int edits = 1 + random.Next(3);
        for (int e = 0; e < edits; e++)
        {
            switch (random.Next(6))
            {
                case 0:
                case 1:
                    ReplaceNumber(builder);
                    break;
                case 2:
                    builder.Insert(random.Next(builder.Length + 1), Pick(InterestingTokens));
                    break;
                case 3 when builder.Length > 0:
                    {
                        int start = random.Next(builder.Length);
                        builder.Remove(start, Math.Min(builder.Length - start, 1 + random.Next(16)));
                        break;
                    }
                case 4 when builder.Length > 0:
                    {
                        int start = random.Next(builder.Length);
                        int length = Math.Min(builder.Length - start, 1 + random.Next(64));
                        string copy = builder.ToString(start, length);
                        int times = Chance(0.1) ? 1 + random.Next(200) : 1;
                        for (int t = 0; t < times; t++) builder.Insert(random.Next(builder.Length + 1), copy);
                        break;
                    }
                default:
                    if (builder.Length > 0) builder[random.Next(builder.Length)] = (char)(Chance(0.8) ? random.Next(32, 127) : random.Next(0, 0x3000));
                    break;
            }
        }
        return builder.ToString();
    }

    /// <summary>Replaces one run of digits (with sign, point and exponent) by an interesting number.</summary>
    private void ReplaceNumber(StringBuilder text)
    {
        if (text.Length == 0) return;
        int at = random.Next(text.Length);
        int start = -1;
        for (int i = 0; i < text.Length; i++)
        {
            int j = (at + i) % text.Length;
            if (char.IsAsciiDigit(text[j])) { start = j; break; }
        }
        if (start < 0)
        {
            text.Insert(at, Pick(InterestingNumbers));
            return;
        }
        while (start > 0 && IsNumberChar(text[start - 1])) start--;
        int end = start;
        while (end < text.Length && IsNumberChar(text[end])) end++;
        text.Remove(start, end - start);
        text.Insert(start, Chance(0.9) ? Pick(InterestingNumbers) : random.Next().ToString(CultureInfo.InvariantCulture));
    }

    private static bool IsNumberChar(char c) => char.IsAsciiDigit(c) || c is '-' or '+' or '.' or 'e' or 'E';
}
