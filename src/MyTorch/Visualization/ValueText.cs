using System.Globalization;
using System.Text;

namespace MyTorch.Visualization;

/// <summary>
/// Short, culture-independent text for values and small tensors, as graph drawings, traces and
/// <c>mytorch explain</c> print them: a fixed number of significant digits, all elements while they are few.
/// </summary>
public static class ValueText
{
    /// <summary>A number with <paramref name="digits"/> significant digits: 0.29131, -0.83604, 1E-08.</summary>
    public static string Format(double value, int digits = 5)
    {
        if (value == 0) return "0"; // also turns -0 into 0
        return value.ToString("G" + Math.Clamp(digits, 1, 17).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// One line: a scalar as a number; up to <paramref name="maxElements"/> elements as a flat list
    /// (<c>[0.3, 0.3, 0.3, 0.3]</c>); more as the shape with the range of values, or the one value they all share.
    /// </summary>
    public static string Format(Tensor tensor, int digits = 5, int maxElements = 8)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var values = tensor.ToArray<double>();
        if (tensor.Rank == 0) return Format(values[0], digits);
        if (values.Length == 0) return "[] " + Shapes.Format(tensor.Shape);
        if (values.Length <= maxElements)
            return "[" + string.Join(", ", values.Select(v => Format(v, digits))) + "]";
        if (Array.TrueForAll(values, v => v.Equals(values[0])))
            return $"{Shapes.Format(tensor.Shape)} all {Format(values[0], digits)}";
        return $"{Shapes.Format(tensor.Shape)} from {Format(values.Min(), digits)} to {Format(values.Max(), digits)}, mean {Format(values.Average(), digits)}";
    }

    /// <summary>
    /// A matrix one row a line, columns aligned (<c>[ 0.1  0.1 ]</c>); a tensor of another rank as <see cref="Format(Tensor, int, int)"/>
    /// without the element limit.
    /// </summary>
    public static string FormatMatrix(Tensor tensor, int digits = 5)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Rank != 2) return Format(tensor, digits, int.MaxValue);
        int rows = tensor.Shape[0], columns = tensor.Shape[1];
        var values = tensor.ToArray<double>();
        var cells = values.Select(v => Format(v, digits)).ToArray();
        var widths = new int[columns];
        for (int i = 0; i < cells.Length; i++) widths[i % columns] = Math.Max(widths[i % columns], cells[i].Length);
        var text = new StringBuilder();
        for (int r = 0; r < rows; r++)
        {
            if (r > 0) text.Append('\n');
            text.Append('[');
            for (int c = 0; c < columns; c++) text.Append(' ').Append(cells[r * columns + c].PadLeft(widths[c]));
            text.Append(" ]");
        }
        return text.ToString();
    }

    /// <summary>
    /// For a table cell: a matrix (both dimensions above 1) of at most <paramref name="maxElements"/> elements one row a
    /// line, as <see cref="FormatMatrix"/>; anything else on one line, as <see cref="Format(Tensor, int, int)"/>.
    /// </summary>
    public static string FormatCell(Tensor tensor, int digits = 5, int maxElements = 8)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        bool matrix = tensor.Rank == 2 && tensor.Shape[0] > 1 && tensor.Shape[1] > 1;
        return matrix && tensor.Count <= maxElements ? FormatMatrix(tensor, digits) : Format(tensor, digits, maxElements);
    }

    /// <summary>One number when every element is the same (a local derivative of 1 everywhere is written 1), else as <see cref="Format(Tensor, int, int)"/>.</summary>
    internal static string FormatUniform(Tensor tensor, int digits, int maxElements)
    {
        var values = tensor.ToArray<double>();
        return values.Length > 0 && Array.TrueForAll(values, v => v.Equals(values[0])) ? Format(values[0], digits) : Format(tensor, digits, maxElements);
    }

    /// <summary>The shape as MyTorch writes it in messages: <c>()</c>, <c>(3,)</c>, <c>(4, 1)</c>.</summary>
    public static string Shape(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return Shapes.Format(tensor.Shape);
    }
}
