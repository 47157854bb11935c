using MyTorch.Visualization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace MyTorch.Cli.Reporting;

/// <summary>
/// Headings, lines and tables for the explaining commands: drawn with Spectre.Console when stdout is a terminal,
/// plain aligned text otherwise (pipes, files, tests), with the same content either way.
/// </summary>
public sealed class ReportWriter
{
    private readonly TextWriter plain;

    private ReportWriter(bool rich, TextWriter plain)
    {
        Rich = rich;
        this.plain = plain;
    }

    /// <summary>Whether output goes to a terminal through Spectre.Console.</summary>
    public bool Rich { get; }

    /// <summary>Rich when stdout is an interactive terminal, plain otherwise.</summary>
    public static ReportWriter ForConsole() =>
        new(!Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive, Console.Out);

    /// <summary>A section heading, with a blank line before it.</summary>
    public void Heading(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (Rich)
        {
            AnsiConsole.WriteLine();
            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(text)}[/]");
        }
        else
        {
            plain.WriteLine();
            plain.WriteLine(text);
        }
    }

    /// <summary>One line of text.</summary>
    public void Line(string text = "")
    {
        ArgumentNullException.ThrowIfNull(text);
        if (Rich) AnsiConsole.WriteLine(text);
        else plain.WriteLine(text);
    }

    /// <summary>A line that stands out (a result, a conclusion).</summary>
    public void Emphasis(string text, bool good = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (Rich) AnsiConsole.MarkupLine($"[{(good ? "green" : "red")}]{Markup.Escape(text)}[/]");
        else plain.WriteLine(text);
    }

    /// <summary>A table, after a blank line: bordered in a terminal, aligned columns otherwise.</summary>
    public void Table(TextTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (!Rich)
        {
            plain.WriteLine();
            plain.Write(table.ToString());
            return;
        }
        AnsiConsole.WriteLine();
        var rendered = new Table().Border(TableBorder.Rounded);
        if (table.Title is not null) rendered.Title($"[bold]{Markup.Escape(table.Title)}[/]");
        foreach (var header in table.Headers) rendered.AddColumn(new TableColumn(Markup.Escape(header)));
        foreach (var row in table.Rows) rendered.AddRow(row.Select(cell => (IRenderable)new Text(cell)).ToArray());
        AnsiConsole.Write(rendered);
    }
}
