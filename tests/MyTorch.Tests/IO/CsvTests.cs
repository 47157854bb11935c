using MyTorch.IO;
using Xunit;

namespace MyTorch.Tests.IO;

public sealed class CsvTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private CsvTable Read(string text, CsvOptions? options = null) => Csv.Read(temp.Write("data.csv", text), options);

    private DataFormatException Fails(string text)
    {
        string path = temp.Write("data.csv", text);
        var error = Assert.Throws<DataFormatException>(() => Csv.Read(path));
        Assert.Equal(path, error.FilePath);
        Assert.StartsWith(path, error.Message, StringComparison.Ordinal);
        return error;
    }

    [Fact]
    public void Read_ParsesHeaderAndRowMajorValues()
    {
        var table = Read("x1,x2,y\n1,2.5,-3e-2\n4,  5 ,6\n");
        Assert.Equal(["x1", "x2", "y"], table.Header);
        Assert.Equal(2, table.Rows);
        Assert.Equal(3, table.ColumnCount);
        Assert.Equal([1, 2.5, -0.03, 4, 5, 6], table.Values);
    }

    [Fact]
    public void Read_HandlesQuotesEscapesCrLfBomAndTrailingBlankLines()
    {
        var table = Read("\uFEFF\"a,b\",\"say \"\"hi\"\"\", c \r\n\"1\",2,\"3.5\"\r\n7,8,9\r\n\r\n\n  \n");
        Assert.Equal(["a,b", "say \"hi\"", "c"], table.Header);
        Assert.Equal([1, 2, 3.5, 7, 8, 9], table.Values);
    }

    [Fact]
    public void Read_WithASemicolonSeparatorAndNoTrailingNewline()
    {
        Assert.Equal([1, 2.5], Read("a;b\n1;2.5", new CsvOptions(';')).Values);
        // A decimal comma is not the invariant culture's, so it is a bad cell rather than a silent 1.5 or 15.
        var error = Assert.Throws<DataFormatException>(() => Read("a;b\n1,5;2", new CsvOptions { Separator = ';' }));
        Assert.Equal("a", error.Column);
    }

    [Fact]
    public void Columns_SelectsInTheGivenOrder_AllExceptKeepsFileOrder()
    {
        var table = Read("a,b,c\n1,2,3\n4,5,6\n");
        var picked = table.Columns("c", "a");
        Assert.Equal(DType.Float32, picked.DType);
        Assert.Equal([2, 2], picked.Shape.ToArray());
        Assert.Equal(new float[] { 3, 1, 6, 4 }, picked.ToArray());
        var rest = table.AllExcept("b");
        Assert.Equal(new float[] { 1, 3, 4, 6 }, rest.ToArray());
        Assert.Equal(2, table.IndexOf("c"));
    }

    [Fact]
    public void Columns_UnknownName_ListsTheKnownOnes()
    {
        var table = Read("price,size\n1,2\n");
        var error = Assert.Throws<ArgumentException>(() => table.Columns("size", "prise"));
        Assert.Contains("no column 'prise'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'price', 'size'", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => table.AllExcept("nope"));
        Assert.Throws<ArgumentException>(() => table.AllExcept("price", "size"));
    }

    [Fact]
    public void Columns_ValueBeyondFloat32_IsReportedWithItsRow()
    {
        var table = Read("a,b\n1,2\n3,1e39\n");
        var error = Assert.Throws<DataFormatException>(() => table.Columns("b"));
        Assert.Equal(3, error.Row);
        Assert.Equal("b", error.Column);
        Assert.Equal(new float[] { 1, 3 }, table.Columns("a").ToArray());
    }

    [Fact]
    public void WriteThenRead_RoundTripsExactly()
    {
        string path = temp.File("out.csv");
        string[] header = ["plain", "with,comma", "with \"quote\"", " padded ", "multi\nline"];
        double[] values = [0.1, -1e-300, 1e300, 123456789.123456789, Math.PI, 0, -0.0, 5, 6, 7];
        Csv.Write(path, header, values);
        var table = Csv.Read(path);
        Assert.Equal(header, table.Header);
        Assert.Equal(values, table.Values);
        Assert.Equal(2, table.Rows);

        Csv.Write(path, ["a", "b"], Tensor.FromArray(new float[,] { { 1, 2 }, { 3, 4 } }), new CsvOptions('\t'));
        Assert.Equal("a\tb\n1\t2\n3\t4\n", File.ReadAllText(path));
        Assert.Equal([1, 2, 3, 4], Csv.Read(path, new CsvOptions('\t')).Values);
    }

    [Fact]
    public void Write_RejectsNonFiniteValuesAndRaggedRows()
    {
        var error = Assert.Throws<ArgumentException>(() => Csv.Write(temp.File("x.csv"), ["a", "b"], [1, 2, 3, double.NaN]));
        Assert.Contains("row 2, column 'b'", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Csv.Write(temp.File("x.csv"), ["a", "b"], [1, 2, 3]));
        Assert.False(File.Exists(temp.File("x.csv")));
    }

    [Fact]
    public void Options_RejectAQuoteOrNewlineSeparator()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CsvOptions('"'));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CsvOptions { Separator = '\n' });
        Assert.Equal(',', new CsvOptions().Separator);
    }

    // ---- malformed files ------------------------------------------------------------------------

    [Fact]
    public void BadCell_NamesRowColumnAndText()
    {
        var error = Fails("id,price\n1,2\n2,3\n3,4\n4,\"12,3x\"\n");
        Assert.Equal(5, error.Row);
        Assert.Equal("price", error.Column);
        Assert.Equal("'12,3x'", error.Found);
        Assert.Contains("data.csv: row 5, column 'price': '12,3x' is not a number", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("nan")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("+Infinity")]
    [InlineData("1e400")]
    public void NonFiniteCell_IsRejectedWithRowAndColumn(string cell)
    {
        var error = Fails($"a,b\n1,2\n{cell},3\n");
        Assert.Equal(3, error.Row);
        Assert.Equal("a", error.Column);
        Assert.Contains("is not a finite number", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a,b\n1,\n", 2, "b")]
    [InlineData("a,b\n1,2\n ,2\n", 3, "a")]
    [InlineData("a,b\n1,\"\"\n", 2, "b")]
    public void EmptyCell_IsRejected(string text, long row, string column)
    {
        var error = Fails(text);
        Assert.Equal(row, error.Row);
        Assert.Equal(column, error.Column);
        Assert.Contains("empty", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a,b\n1,2\n3,4,5\n", 3, "3 fields")]
    [InlineData("a,b\n1,2\n3,4\n5\n", 4, "1 fields")]
    public void WrongFieldCount_NamesRowAndBothCounts(string text, long row, string found)
    {
        var error = Fails(text);
        Assert.Equal(row, error.Row);
        Assert.Equal("2 fields, as in the header", error.Expected);
        Assert.Equal(found, error.Found);
    }

    [Fact]
    public void QuoteProblems_AreReportedWithTheRow()
    {
        var unclosed = Fails("a,b\n1,2\n3,\"4\n");
        Assert.Equal(3, unclosed.Row);
        Assert.Contains("not closed", unclosed.Message, StringComparison.Ordinal);

        var trailing = Fails("a,b\n\"1\"x,2\n");
        Assert.Equal(2, trailing.Row);
        Assert.Equal("'x'", trailing.Found);
    }

    [Fact]
    public void MultiLineQuotedField_KeepsRowsAndMentionsTheLine()
    {
        var error = Fails("\"a\nlong name\",b\n1,2\nx,3\n");
        Assert.Equal(3, error.Row);
        Assert.Contains("(line 4)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BlankLineBeforeMoreData_IsAnError()
    {
        var error = Fails("a,b\n1,2\n\n3,4\n");
        Assert.Equal(3, error.Row);
        Assert.Contains("blank line", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n")]
    public void MissingHeader_IsAnError(string text) => Assert.Equal(1, Fails(text).Row);

    [Fact]
    public void RepeatedColumnName_IsAnError()
    {
        var error = Fails("a,b,a\n1,2,3\n");
        Assert.Equal(1, error.Row);
        Assert.Equal("a", error.Column);
    }

    [Fact]
    public void HeaderOnly_GivesAnEmptyTable()
    {
        var table = Read("a,b\n");
        Assert.Equal(0, table.Rows);
        Assert.Equal([0, 2], table.Columns("a", "b").Shape.ToArray());
    }
}
