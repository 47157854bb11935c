using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace MyTorch.Cli.Tests;

/// <summary>
/// Every C# block of README.md and docs/*.md compiles on its own, as a reader pastes it into a new console project
/// (the SDK's implicit usings and a reference to MyTorch, nothing else): it carries the using lines it needs and
/// defines every variable it uses; a type it uses may come from an earlier block of its page that only declares
/// types. (tests/MyTorch.Tests/Docs runs the same blocks and checks what they print.)
/// </summary>
public partial class DocSnippetTests
{
    // What "dotnet new console" gives: ImplicitUsings of Microsoft.NET.Sdk.
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    [GeneratedRegex(@"^```csharp\s*\n(.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex CSharpBlock();

    public static TheoryData<string, int> Blocks()
    {
        var data = new TheoryData<string, int>();
        foreach (var page in Pages())
        {
            int count = CSharpBlock().Count(File.ReadAllText(Path.Combine(CliRunner.RepositoryRoot, page)));
            for (int i = 0; i < count; i++) data.Add(page, i);
        }
        return data;
    }

    private static IEnumerable<string> Pages() =>
        new[] { "README.md" }.Concat(Directory.GetFiles(Path.Combine(CliRunner.RepositoryRoot, "docs"), "*.md").Order(StringComparer.Ordinal)
            .Select(p => Path.GetRelativePath(CliRunner.RepositoryRoot, p).Replace('\\', '/')));

    private static readonly Lazy<MetadataReference[]> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Append(typeof(Tensor).Assembly.Location)
            .Distinct()
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToArray());

    private static readonly CSharpParseOptions ParseOptions = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest);

    private static bool HasStatements(SyntaxTree tree) =>
        tree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.GlobalStatementSyntax>().Any();

    /// <summary>
    /// The errors of compiling <paramref name="code"/> as a console program (a library when it has no statements),
    /// beside <paramref name="declarations"/>: earlier blocks of its page that only declare types (a class the page
    /// defines, then uses), each as a file of the same project.
    /// </summary>
    internal static string[] CompileErrors(string code, params string[] declarations)
    {
        var options = ParseOptions;
        var trees = new[] { CSharpSyntaxTree.ParseText(ImplicitUsings, options), CSharpSyntaxTree.ParseText(code, options) }
            .Concat(declarations.Select(d => CSharpSyntaxTree.ParseText(d, options))).ToArray();
        bool hasStatements = HasStatements(trees[1]);
        var compilation = CSharpCompilation.Create("Snippet", trees, References.Value,
            new CSharpCompilationOptions(hasStatements ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        using var stream = new MemoryStream();
        var emitted = compilation.Emit(stream);
        return emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToArray();
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Block_compiles_on_its_own(string page, int index)
    {
        var blocks = CSharpBlock().Matches(File.ReadAllText(Path.Combine(CliRunner.RepositoryRoot, page))).Select(m => m.Groups[1].Value).ToArray();
        var block = blocks[index];
        var declarations = blocks.Take(index).Where(b => !HasStatements(CSharpSyntaxTree.ParseText(b, ParseOptions))).ToArray();
        var errors = CompileErrors(block, declarations);
        Assert.True(errors.Length == 0, $"{page}, C# block {index + 1} (\"{block.Split('\n')[0].Trim()}\") does not compile on its own:\n{string.Join("\n", errors.Take(8))}");
    }

    [Fact]
    public void The_check_catches_a_missing_using_and_an_undefined_variable()
    {
        Assert.Contains(CompileErrors("var t = Tensor.Zeros([2]);"), e => e.Contains("CS0103", StringComparison.Ordinal));
        Assert.Contains(CompileErrors("using MyTorch;\nConsole.WriteLine(model);"), e => e.Contains("CS0103", StringComparison.Ordinal));
        Assert.Empty(CompileErrors("using MyTorch;\nvar t = Tensor.Zeros([2]);\nConsole.WriteLine(t);"));
        Assert.Empty(CompileErrors("Console.WriteLine(new Greeting().Text);", "sealed class Greeting { public string Text => \"hi\"; }"));
    }
}
