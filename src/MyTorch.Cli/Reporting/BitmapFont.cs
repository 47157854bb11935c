namespace MyTorch.Cli.Reporting;

/// <summary>
/// A 5x7 bitmap font for printable ASCII, drawn on a <see cref="Canvas"/>: enough for a plot's titles, labels and
/// tick numbers without a font file or a native text renderer.
/// </summary>
internal static class BitmapFont
{
    /// <summary>Glyph width in font pixels, without the one-pixel gap between glyphs.</summary>
    public const int GlyphWidth = 5;
    /// <summary>Glyph height in font pixels.</summary>
    public const int GlyphHeight = 7;

    // One 35-bit value per character from ' ' (32) to '~' (126): seven rows of five bits, top row first, the leftmost
    // pixel the highest bit of its row. The descenders g, p, q and y are drawn two rows lower (see Descent).
    private static readonly ulong[] Glyphs =
    [
        0x000000000, 0x108421004, 0x294A00000, 0x295F57D4A, 0x11F4717C4, 0x632222263, //   ! " # $ %
        0x32544564D, 0x308800000, 0x088842082, 0x208210888, 0x009575480, 0x0084F9080, // & ' ( ) * +
        0x000003088, 0x0000F8000, 0x00000018C, 0x002222200, 0x3A33AE62E, 0x11842108E, // , - . / 0 1
        0x3A211111F, 0x7C441062E, 0x08CA97C42, 0x7E1E0862E, 0x1910F462E, 0x7C2222108, // 2 3 4 5 6 7
        0x3A317462E, 0x3A317844C, 0x018C03180, 0x018C03088, 0x088882082, 0x001F07C00, // 8 9 : ; < =
        0x208208888, 0x3A2111004, 0x3A216D6AE, 0x3A318FE31, 0x7A31F463E, 0x3A308422E, // > ? @ A B C
        0x72518C65C, 0x7E10F421F, 0x7E10F4210, 0x3A30BC62F, 0x4631FC631, 0x38842108E, // D E F G H I
        0x1C4210A4C, 0x4654C5251, 0x42108421F, 0x4775AC631, 0x4639ACE31, 0x3A318C62E, // J K L M N O
        0x7A31F4210, 0x3A318D64D, 0x7A31F5251, 0x3E107043E, 0x7C8421084, 0x46318C62E, // P Q R S T U
        0x46318C544, 0x4631AD6AA, 0x462A22A31, 0x463151084, 0x7C222221F, 0x39084210E, // V W X Y Z [
        0x020820820, 0x38421084E, 0x115100000, 0x00000001F, 0x208200000, 0x000E0BE2F, // \ ] ^ _ ` a
        0x4216CC63E, 0x000E8422E, 0x042D9C62F, 0x000E8FE0E, 0x1928E2108, 0x3E319B42E, // b c d e f g
        0x4216CC631, 0x100C2108E, 0x080610A4C, 0x4212A6292, 0x30842108E, 0x001AAD631, // h i j k l m
        0x0016CC631, 0x000E8C62E, 0x7A31F4210, 0x3E3178421, 0x0016CC210, 0x000E8383E, // n o p q r s
        0x211C42126, 0x00118C66D, 0x00118C544, 0x00118D6AA, 0x001151151, 0x46317862E, // t u v w x y
        0x001F1111F, 0x088441082, 0x108421084, 0x208411088, 0x0008A8800, // z { | } ~
    ];

    /// <summary>The width in canvas pixels of <paramref name="text"/> drawn at <paramref name="scale"/>.</summary>
    public static int Width(string text, int scale) => text.Length == 0 ? 0 : (text.Length * (GlyphWidth + 1) - 1) * scale;

    /// <summary>How many font pixels below the others <paramref name="c"/> is drawn: 2 for the letters with a tail below the line.</summary>
    public static int Descent(char c) => c is 'g' or 'p' or 'q' or 'y' ? 2 : 0;

    /// <summary>Whether the font pixel (<paramref name="column"/>, <paramref name="row"/>) of <paramref name="c"/> is set; characters outside printable ASCII draw as '?'.</summary>
    public static bool IsSet(char c, int column, int row)
    {
        ulong glyph = c is >= ' ' and <= '~' ? Glyphs[c - ' '] : Glyphs['?' - ' '];
        int bit = (GlyphHeight - 1 - row) * GlyphWidth + (GlyphWidth - 1 - column);
        return ((glyph >> bit) & 1) != 0;
    }
}
