use super::*;

/// Worst level of a template's findings, `None` when clean.
fn worst(src: &str) -> Option<Level> {
    audit(src).worst()
}

fn assert_clean(name: &str, src: &str) {
    let a = audit(src);
    assert!(a.findings.is_empty(), "{name}: {:#?}", a.findings);
    assert!(a.syntax.is_empty(), "{name}: {:#?}", a.syntax);
}

const CHATML: &str = "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

const MISTRAL: &str = "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";

const GEMMA: &str = "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}";

/// In the style of Llama 3.1: date via `strftime_now`, tools as JSON, single tool calls.
const LLAMA31_STYLE: &str = r##"{{- bos_token }}
{%- if custom_tools is defined %}{%- set tools = custom_tools %}{%- endif %}
{%- if not date_string is defined %}
    {%- if strftime_now is defined %}
        {%- set date_string = strftime_now("%d %b %Y") %}
    {%- else %}
        {%- set date_string = "26 Jul 2024" %}
    {%- endif %}
{%- endif %}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}
{{- "<|start_header_id|>system<|end_header_id|>\n\n" }}
{{- "Today Date: " + date_string + "\n\n" }}
{{- system_message }}{{- "<|eot_id|>" }}
{%- for message in messages %}
    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' }}
    {%- elif 'tool_calls' in message %}
        {%- if not message.tool_calls|length == 1 %}
            {{- raise_exception("This model only supports single tool-calls at once!") }}
        {%- endif %}
        {%- set tool_call = message.tool_calls[0].function %}
        {{- '{"name": "' + tool_call.name + '", "parameters": ' }}{{- tool_call.arguments | tojson }}{{- "}" }}
    {%- elif message.role == "tool" or message.role == "ipython" %}
        {%- if message.content is mapping or message.content is iterable %}{{- message.content | tojson }}{%- else %}{{- message.content }}{%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{%- endif %}
"##;

/// In the style of Qwen: `namespace()` loop state, reversed iteration, tool calls.
const QWEN_STYLE: &str = r##"{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}
{%- for message in messages[::-1] %}
    {%- set index = (messages|length - 1) - loop.index0 %}
    {%- if ns.multi_step_tool and message.role == "user" and message.content is string and not(message.content.startswith('<tool_response>') and message.content.endswith('</tool_response>')) %}
        {%- set ns.multi_step_tool = false %}
        {%- set ns.last_query_index = index %}
    {%- endif %}
{%- endfor %}
{%- if tools %}
    {{- "\n\n# Tools\n\n<tools>" }}
    {%- for tool in tools %}{{- "\n" }}{{- tool | tojson }}{%- endfor %}
    {{- "\n</tools>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n" }}
{%- endif %}
{%- for message in messages %}
    {%- if message.role == "assistant" %}
        {%- set content = message.content.split('</think>')[-1].lstrip('\n') %}
        {{- '<|im_start|>' + message.role + '\n' + content }}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function is defined %}{%- set tool_call = tool_call.function %}{%- endif %}
            {{- '\n<tool_call>\n{"name": "' }}{{- tool_call.name }}{{- '", "arguments": ' }}
            {%- if tool_call.arguments is string %}{{- tool_call.arguments }}{%- else %}{{- tool_call.arguments | tojson }}{%- endif %}
        {%- endfor %}
    {%- elif message.role == "tool" %}
        {%- if loop.first or (messages[loop.index0 - 1].role != "tool") %}{{- '<|im_start|>user' }}{%- endif %}
        {{- '\n<tool_response>\n' ~ message.content ~ '\n</tool_response>' }}
    {%- else %}
        {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>' + '\n' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|im_start|>assistant\n' }}{%- if enable_thinking is defined and enable_thinking is false %}{{- '<think>\n\n</think>\n\n' }}{%- endif %}{%- endif %}
"##;

/// Macros, `selectattr`, `map(attribute=...)`, a `{% generation %}` block, raw text,
/// comments and a role table keyed by `system` (an ordinary key, not `os.system`).
const MISC_STYLE: &str = r##"{# role table #}{%- set roles = {'system': 'SYS', 'user': 'USR'} %}
{%- macro render(m, prefix='') -%}{{ prefix ~ roles[m.role] ~ ': ' ~ m.content }}{%- endmacro %}
{%- set sys = messages|selectattr('role', 'equalto', 'system')|map(attribute='content')|list %}
{{- roles.system ~ (sys|join('\n')) }}
{%- for m in messages|rejectattr('role', 'equalto', 'system') %}
{%- if m.role == 'assistant' %}{% generation %}{{ render(m) }}{% endgeneration %}{% else %}{{ render(m, prefix='> ') }}{% endif %}
{%- endfor %}{% raw %}{{ not a tag: __class__ }}{% endraw %}
{{- '\u2014 end \x0a' }}{{ 1.5e3 | round | int }}{{ [1, 2, 3] | sum }}{{ cycler('odd', 'even').next() }}
"##;

#[test]
fn real_world_chat_templates_are_clean() {
    for (name, src) in [
        ("chatml", CHATML),
        ("mistral", MISTRAL),
        ("gemma", GEMMA),
        ("llama31", LLAMA31_STYLE),
        ("qwen", QWEN_STYLE),
        ("misc", MISC_STYLE),
    ] {
        assert_clean(name, src);
    }
}

#[test]
fn features_list_what_the_template_uses() {
    let a = audit(QWEN_STYLE);
    for feature in ["for", "if", "set", "namespace()", "|tojson", "|length"] {
        assert!(
            a.features.iter().any(|f| f == feature),
            "{feature}: {:?}",
            a.features
        );
    }
    assert!(a.tags > 40, "{}", a.tags);
}

#[test]
fn cve_2024_34359_payload_is_critical() {
    let src = "{% for c in [].__class__.__base__.__subclasses__() %}{% if c.__name__ == 'catch_warnings' %}{{ c()._module.__builtins__['__import__']('os').system('touch /tmp/retr0reg') }}{% endif %}{% endfor %}";
    let a = audit(src);
    assert_eq!(a.worst(), Some(Level::Critical));
    assert_eq!(a.findings.len(), 3, "{:#?}", a.findings);
    let last = &a.findings[2];
    assert_eq!(
        last.indicators,
        [
            "`_module`",
            "`__builtins__`",
            "`__import__`",
            "`os`",
            "`system`"
        ]
    );
    assert!(
        last.excerpt.starts_with("{{ c()._module"),
        "{}",
        last.excerpt
    );
    assert!(a.syntax.is_empty(), "{:#?}", a.syntax);
}

#[test]
fn direct_attribute_walks_are_critical() {
    for src in [
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{{ joiner.__init__.__globals__.__builtins__.__import__('os') }}",
        "{{ lipsum.__globals__['os'].popen('id') }}",
        "{{ namespace.__init__.__globals__ }}",
        "{{ self._TemplateReference__context.cycler }}",
        "{{ self.__init__.__globals__['__builtins__'] }}",
        "{{ config.__class__.__init__.__globals__['os'] }}",
        "{{ request.application.__globals__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__()[40]('/etc/passwd').read() }}",
        "{{ ().__class__.__bases__[0] }}",
        "{{ __builtins__['eval']('1') }}",
        "{% set x = cycler.__init__.__globals__ %}{{ x.os.system('id') }}",
        "{{ messages.__class__ }}",
        "{{ eval('1+1') }}",
    ] {
        assert_eq!(
            worst(src),
            Some(Level::Critical),
            "{src}: {:#?}",
            audit(src).findings
        );
    }
}

#[test]
fn obfuscated_names_are_folded() {
    for src in [
        // attr filter
        "{{ ''|attr('__class__')|attr('__mro__') }}",
        // hex, unicode and octal escapes
        r"{{ request['application']['\x5f\x5fglobals\x5f\x5f'] }}",
        r"{{ x['\u005f\u005fclass\u005f\u005f'] }}",
        r"{{ x['\137\137class\137\137'] }}",
        // concatenation with ~ and +, adjacent literals
        "{{ x|attr('__cla' ~ 'ss__') }}",
        "{{ x['__gl' + 'obals__'] }}",
        "{{ x|attr('__cla' 'ss__') }}",
        // format, printf, join, replace, reversal, dict keys, chr
        "{{ x|attr('{}class{}'.format('__', '__')) }}",
        "{{ x|attr('%sclass%s'|format('__', '__')) }}",
        "{{ x|attr('%c%cclass%c%c' % (95, 95, 95, 95)) }}",
        "{{ x|attr(['__', 'class', '__']|join) }}",
        "{{ x|attr(''.join(['__', 'globals', '__'])) }}",
        "{{ x|attr('XXclassXX'|replace('X', '_')) }}",
        "{{ x|attr('__ssalc__'[::-1]) }}",
        "{{ x|attr(dict(__class__=1)|first) }}",
        "{{ x[''.join([chr(95), chr(95), 'class', chr(95), chr(95)])] }}",
        // through {% set %} variables, even when reassigned later
        "{% set a = '__cl' %}{% set b = a ~ 'ass__' %}{{ x|attr(b) }}{% set b = 'harmless' %}",
        // getattr and lookups by method
        "{{ getattr('', '__class__') }}",
        "{{ x.get('__builtins__') }}",
        "{{ x.__getitem__('os') }}",
        "{{ x|map('attr', '__class__')|list }}",
        "{{ messages|map(attribute='__class__')|list }}",
    ] {
        assert_eq!(
            worst(src),
            Some(Level::Critical),
            "{src}: {:#?}",
            audit(src)
        );
    }
}

#[test]
fn assembled_dangerous_strings_are_high_even_unused() {
    let a = audit("{% set n = 'po' ~ 'pen' %}{{ n }}");
    assert_eq!(a.worst(), Some(Level::High), "{a:#?}");
    assert!(
        a.findings[0].message.contains("`popen`"),
        "{}",
        a.findings[0].message
    );
    assert_clean("system is a role", "{% set n = 'sys' ~ 'tem' %}{{ n }}");
    assert_eq!(worst(r"{{ '\x5f\x5fclass\x5f\x5f' }}"), Some(Level::High));
    assert_eq!(worst(r"{{ '\x41BC' }}"), Some(Level::Low));
}

#[test]
fn ambiguous_constructs_are_medium_or_low() {
    for (src, level) in [
        ("{{ config.items() }}", Level::Medium),
        ("{{ url_for('index') }}", Level::Medium),
        ("{{ x|attr(name) }}", Level::Medium),
        ("{{ (lipsum|string)[0] }}", Level::Medium),
        ("{{ cycler.next }}", Level::Medium),
        ("{% include 'header.jinja' %}", Level::Medium),
        (
            "{% from 'macros.j2' import render %}{{ render() }}",
            Level::Medium,
        ),
        ("{{ self.content() }}", Level::Low),
        ("{{ x._private }}", Level::High),
        ("{{ getattr }}", Level::High),
        ("{% include '../../etc/passwd' %}", Level::High),
        ("{% extends '/etc/passwd' %}", Level::High),
    ] {
        assert_eq!(worst(src), Some(level), "{src}: {:#?}", audit(src));
    }
}

#[test]
fn bound_names_are_not_globals() {
    assert_clean(
        "loop var",
        "{% for config in configs %}{{ config.name }}{% endfor %}",
    );
    assert_clean(
        "set",
        "{% set request = messages[-1] %}{{ request.content }}",
    );
    assert_clean(
        "macro param",
        "{% macro f(self_) %}{{ self_ }}{% endmacro %}",
    );
    assert_eq!(worst("{{ config.name }}"), Some(Level::Medium));
}

#[test]
fn context_attributes_alone_are_not_findings() {
    assert_clean("roles", "{{ roles.system }}{{ d.get('read') }}{{ f.open }}");
    let a = audit("{{ x.__class__.system }}");
    assert!(a.findings[0].indicators.contains(&"`system`".to_string()));
}

#[test]
fn one_finding_per_tag_with_line_numbers() {
    let a = audit("line one\n{{ a.__class__ }}\n\n{{ b.__mro__ }}{{ ok }}");
    let lines: Vec<_> = a.findings.iter().map(|f| (f.line, f.offset)).collect();
    assert_eq!(lines, vec![(2, 9), (4, 28)]);
}

#[test]
fn comments_raw_blocks_and_strings_are_not_code() {
    assert_clean("comment", "{# {{ ''.__class__ }} #}hello");
    assert_clean("raw", "{% raw %}{{ ''.__class__ }}{% endraw %}");
    assert_clean("string", "{{ 'text with __class__ and }} inside' }}");
    assert_clean("text", "plain text mentioning __globals__ and os.system");
}

#[test]
fn syntax_errors_are_reported_and_content_still_analysed() {
    let a = audit("{{ unclosed_bracket");
    assert_eq!(a.syntax.len(), 1);
    assert!(
        a.syntax[0].message.contains("never closed"),
        "{:?}",
        a.syntax
    );
    assert!(a.findings.is_empty());

    let a = audit("{% for m in messages %}{{ m }}");
    assert_eq!(a.syntax[0].message, "`for` is never closed by `endfor`");
    let a = audit("{% if x %}{% endfor %}");
    assert!(
        a.syntax[0].message.contains("closes `if`"),
        "{:?}",
        a.syntax
    );
    let a = audit("{% frobnicate x %}");
    assert_eq!(a.syntax[0].message, "unknown statement `frobnicate`");

    // A walk Jinja cannot even parse is still found.
    let a = audit("{{ x.__class__.__mro__[1] ) ] .__subclasses__ }}");
    assert!(!a.syntax.is_empty());
    assert_eq!(a.worst(), Some(Level::Critical), "{a:#?}");
    assert!(
        a.findings[0]
            .indicators
            .contains(&"`__subclasses__`".to_string()),
        "{a:#?}"
    );

    let a = audit("{{ 'never closed }}");
    assert!(
        a.syntax
            .iter()
            .any(|s| s.message == "string literal is never closed"),
        "{:?}",
        a.syntax
    );
}

#[test]
fn hostile_nesting_is_bounded() {
    let deep = format!("{{{{ {}x{} }}}}", "(".repeat(100_000), ")".repeat(100_000));
    let a = audit(&deep);
    assert!(
        a.syntax.iter().any(|s| s.message.contains("nested deeper")),
        "{:?}",
        &a.syntax[..1]
    );

    let chain = format!("{{{{ x{} }}}}", ".a".repeat(50_000));
    assert!(!audit(&chain).syntax.is_empty());

    let negations = format!("{{{{ {}1 }}}}", "- ".repeat(50_000));
    assert!(!audit(&negations).syntax.is_empty());

    // Doubling through variables stays within the folding budget.
    let mut doubling = "{% set v0 = 'ab' %}".to_string();
    for i in 1..64 {
        doubling.push_str(&format!("{{% set v{i} = v{} ~ v{} %}}", i - 1, i - 1));
    }
    doubling.push_str("{{ x|attr(v63) }}");
    assert_eq!(worst(&doubling), Some(Level::Medium));
}

#[test]
fn many_problems_in_one_template_stay_cheap() {
    let started = std::time::Instant::now();
    let walks: Vec<String> = (0..20_000).map(|i| format!("x{i}.__a{i}__")).collect();
    let a = audit(&format!("{{{{ {} }}}}", walks.join(", ")));
    assert_eq!(a.findings.len(), 1);
    assert_eq!(a.findings[0].indicators.len(), 50);
    assert!(
        a.findings[0].message.ends_with("and 19988 more"),
        "{}",
        a.findings[0].message
    );
    let a = audit(&"{{ @ }}\n".repeat(20_000));
    assert_eq!(a.syntax.len(), 20_000);
    assert_eq!(a.syntax[19_999].line, 20_000);
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
}

#[test]
fn large_templates_are_analysed_in_linear_time() {
    let big = CHATML.repeat(2_000);
    let started = std::time::Instant::now();
    let a = audit(&big);
    assert!(a.findings.is_empty());
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
}

#[test]
fn rule_text_is_complete() {
    use rule_text::*;
    for text in [
        INJECTION_TITLE,
        INJECTION_DESCRIPTION,
        INJECTION_REMEDIATION,
        SYNTAX_TITLE,
        SYNTAX_DESCRIPTION,
        SYNTAX_REMEDIATION,
    ] {
        assert!(!text.is_empty());
    }
    assert!(
        INJECTION_REFERENCES
            .iter()
            .any(|r| r.contains("CVE-2024-34359"))
    );
}
