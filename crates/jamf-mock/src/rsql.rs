//! Enough of RSQL to evaluate what a client sends: `==` with `*` wildcards (case-insensitive,
//! like Jamf), `=in=`, `and`/`;`, `or`/`,`, parentheses, double-quoted values with `\` escapes.
//! It is strict: anything it cannot parse is a 400, so malformed client filters fail tests.

#[derive(Debug)]
pub enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Cmp { field: String, values: Vec<String> },
}

impl Expr {
    /// `lookup` returns the field's value, or `Err` for a field that is not allowed.
    pub fn eval(
        &self,
        lookup: &dyn Fn(&str) -> Result<Option<String>, String>,
    ) -> Result<bool, String> {
        Ok(match self {
            Expr::Or(items) => {
                let mut any = false;
                for item in items {
                    any |= item.eval(lookup)?;
                }
                any
            }
            Expr::And(items) => {
                let mut all = true;
                for item in items {
                    all &= item.eval(lookup)?;
                }
                all
            }
            Expr::Cmp { field, values } => match lookup(field)? {
                Some(v) => values.iter().any(|pattern| glob(pattern, &v)),
                None => false,
            },
        })
    }
}

fn glob(pattern: &str, value: &str) -> bool {
    let (pattern, value) = (pattern.to_lowercase(), value.to_lowercase());
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == value;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !value.starts_with(first) || !value[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &value[first.len()..value.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

pub fn parse(input: &str) -> Result<Expr, String> {
    let mut p = Parser {
        s: input.as_bytes(),
        at: 0,
    };
    let expr = p.or()?;
    p.ws();
    if p.at != p.s.len() {
        return Err(format!("unexpected input at {}: {input}", p.at));
    }
    Ok(expr)
}

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.at).is_some_and(|b| b.is_ascii_whitespace()) {
            self.at += 1;
        }
    }
    fn eat(&mut self, token: &str) -> bool {
        self.ws();
        if self.s[self.at..].starts_with(token.as_bytes()) {
            let word = token.as_bytes()[0].is_ascii_alphabetic();
            let next = self.s.get(self.at + token.len());
            if word && !next.is_some_and(|b| b.is_ascii_whitespace() || *b == b'(') {
                return false;
            }
            self.at += token.len();
            return true;
        }
        false
    }
    fn or(&mut self) -> Result<Expr, String> {
        let mut items = vec![self.and()?];
        while self.eat("or") || self.eat(",") {
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap()
        } else {
            Expr::Or(items)
        })
    }
    fn and(&mut self) -> Result<Expr, String> {
        let mut items = vec![self.primary()?];
        while self.eat("and") || self.eat(";") {
            items.push(self.primary()?);
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap()
        } else {
            Expr::And(items)
        })
    }
    fn primary(&mut self) -> Result<Expr, String> {
        if self.eat("(") {
            let inner = self.or()?;
            if !self.eat(")") {
                return Err("missing )".into());
            }
            return Ok(inner);
        }
        self.ws();
        let start = self.at;
        while self
            .s
            .get(self.at)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'.')
        {
            self.at += 1;
        }
        let field = String::from_utf8(self.s[start..self.at].to_vec()).unwrap();
        if field.is_empty() {
            return Err(format!("expected a field at {}", self.at));
        }
        if self.eat("==") {
            Ok(Expr::Cmp {
                field,
                values: vec![self.value()?],
            })
        } else if self.eat("=in=") {
            if !self.eat("(") {
                return Err("=in= needs (".into());
            }
            let mut values = vec![self.value()?];
            while self.eat(",") {
                values.push(self.value()?);
            }
            if !self.eat(")") {
                return Err("=in= needs )".into());
            }
            Ok(Expr::Cmp { field, values })
        } else {
            Err(format!("expected an operator after {field}"))
        }
    }
    fn value(&mut self) -> Result<String, String> {
        self.ws();
        if self.s.get(self.at) != Some(&b'"') {
            return Err("the mock wants every value double-quoted".into());
        }
        self.at += 1;
        let mut out = Vec::new();
        loop {
            match self.s.get(self.at) {
                None => return Err("unterminated string".into()),
                Some(b'"') => {
                    self.at += 1;
                    return String::from_utf8(out).map_err(|e| e.to_string());
                }
                Some(b'\\') => {
                    let escaped = *self.s.get(self.at + 1).ok_or("dangling escape")?;
                    out.push(escaped);
                    self.at += 2;
                }
                Some(b) => {
                    out.push(*b);
                    self.at += 1;
                }
            }
        }
    }
}
